//! A running `vigie serve`: started on a free loopback port, its log kept, killed when
//! dropped. Test files add the requests they need in their own `impl Server` blocks.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    /// host:port, as the server announced it.
    pub address: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Runs `command` (a `vigie` command with its global options) with `serve --bind
    /// 127.0.0.1:0`, and waits for the address it announces on standard error.
    pub fn start(mut command: Command) -> Server {
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the vigie binary runs");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(rest) = line.split("serving on http://").nth(1) {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = sender.send(address.to_owned());
                }
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| {
                panic!(
                    "vigie serve did not announce its address; its log:\n{}",
                    log.lock().unwrap()
                )
            });
        Server {
            child,
            address,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// What the server wrote to standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL: no cleanup.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, so that the server shuts down gracefully; returns its whole log.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "vigie serve did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // The log reader may still hold the last lines.
        std::thread::sleep(Duration::from_millis(100));
        self.log()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
