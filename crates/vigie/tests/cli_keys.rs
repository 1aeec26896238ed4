//! `vigie keys create`, `list` and `revoke` as an admin runs them: the key is printed once and
//! the database holds only its hash, on SQLite and on PostgreSQL.

mod support;

use sha2::{Digest, Sha256};
use support::{Database, json, succeed, vigie};

/// Every byte of the SQLite database: the main file and its write-ahead log.
fn sqlite_bytes(database: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(mut content) = std::fs::read(format!("{database}{suffix}")) {
            bytes.append(&mut content);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Creates a key with the plain output; returns the printed key.
fn create(database: &Database, role: &str, name: &str) -> String {
    let output = vigie(&[
        "keys",
        "create",
        "--role",
        role,
        "--name",
        name,
        "--database",
        database.url(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let key = stdout.trim().to_owned();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the key on stdout: {stdout}"
    );
    assert!(key.starts_with("vk_") && key.len() == 46, "{key}");
    assert!(stderr.contains("shown only now"), "{stderr}");
    assert!(!stderr.contains(&key), "the key is printed once, on stdout");
    key
}

/// Creates, lists and revokes keys; returns the keys it created.
fn a_created_key_is_printed_once_listed_without_its_secret_and_revoked(
    database: &Database,
) -> Vec<String> {
    let key = create(database, "analyst", "mopti analysts");
    let second = create(database, "researcher", "university");
    assert_ne!(key, second);

    let listed = json(&["keys", "list", "--json", "--database", database.url()]);
    let listed_text = listed.to_string();
    assert!(!listed_text.contains(&key) && !listed_text.contains(&second));
    let keys = listed.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["name"], "mopti analysts");
    assert_eq!(keys[0]["role"], "analyst");
    assert_eq!(keys[0]["prefix"], &key[..9]);
    assert!(keys[0]["revoked_at"].is_null());
    assert!(keys[0].get("secret_sha256").is_none());

    let plain = succeed(&["keys", "list", "--database", database.url()]);
    assert!(
        plain.contains("mopti analysts") && !plain.contains(&key),
        "{plain}"
    );

    let id = keys[0]["id"].as_i64().unwrap().to_string();
    let revoked = succeed(&["keys", "revoke", &id, "--database", database.url()]);
    assert!(revoked.contains("revoked api key"), "{revoked}");
    let again = vigie(&["keys", "revoke", &id, "--database", database.url()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
    let listed = json(&["keys", "list", "--json", "--database", database.url()]);
    assert!(listed[0]["revoked_at"].is_string());
    assert!(listed[1]["revoked_at"].is_null());

    let json_created = json(&[
        "keys",
        "create",
        "--role",
        "admin",
        "--name",
        "ops",
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(json_created["role"], "admin");
    let third = json_created["key"].as_str().unwrap().to_owned();
    assert!(third.starts_with("vk_"));
    vec![key, second, third]
}

#[test]
fn sqlite_keys_are_shown_once_and_stored_only_hashed() {
    let database = Database::sqlite();
    let keys = a_created_key_is_printed_once_listed_without_its_secret_and_revoked(&database);
    let bytes = sqlite_bytes(database.url());
    assert!(!bytes.is_empty());
    for key in &keys {
        assert!(
            !contains(&bytes, &key.as_bytes()[3..]),
            "a key is stored in clear"
        );
        let hash = Sha256::digest(key.as_bytes());
        assert!(
            contains(&bytes, hash.as_slice()),
            "the key's SHA-256 is what is stored"
        );
    }
}

#[test]
fn postgres_keys_are_shown_once_and_stored_only_hashed() {
    let database = Database::postgres();
    let keys = a_created_key_is_printed_once_listed_without_its_secret_and_revoked(&database);
    let mut client = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let rows = client
        .query("SELECT api_keys::text FROM api_keys", &[])
        .unwrap();
    let stored: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(stored.len(), 3);
    for key in &keys {
        assert!(stored.iter().all(|row| !row.contains(&key[3..])));
        let hash = hex::encode(Sha256::digest(key.as_bytes()));
        assert!(stored.iter().any(|row| row.contains(&hash)), "{stored:?}");
    }
}

#[test]
fn unknown_roles_and_ids_are_refused() {
    let database = Database::sqlite();
    let output = vigie(&[
        "keys",
        "create",
        "--role",
        "root",
        "--name",
        "x",
        "--database",
        database.url(),
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a role"));
    let output = vigie(&["keys", "revoke", "42", "--database", database.url()]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not found"));
}
