//! Published zone sets, every scenario run on SQLite and on PostgreSQL
//! (`VIGIE_TEST_POSTGRES_URL`, as for `tests/suite.rs`: without it the PostgreSQL half fails
//! rather than skips).

#[macro_use]
mod support;

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use vigie_domain::store::Store;

use support::*;

on_both_backends! {
    stores: [
        a_new_store_has_no_geography,
        publishing_makes_a_new_current_version_with_its_digest,
        the_current_bytes_are_not_published_twice,
        an_older_version_may_be_published_again,
    ],
    databases: [
        replicas_seeding_at_once_make_one_version,
        a_publication_survives_reopening,
    ],
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Bytes standing for an encoded zone set: the store neither decodes nor checks them.
fn zone_set_bytes(seed: u8) -> Vec<u8> {
    (0..200_000u32)
        .map(|index| (index as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

mod scenarios {
    use super::*;

    pub fn a_new_store_has_no_geography(store: &dyn Store) {
        assert_eq!(store.current_geography().unwrap(), None);
        assert_eq!(store.current_geography_version().unwrap(), None);
        assert!(store.geography_versions().unwrap().is_empty());
    }

    pub fn publishing_makes_a_new_current_version_with_its_digest(store: &dyn Store) {
        let first = zone_set_bytes(1);
        let publication = store.publish_geography(&first, "mali-2015.vzs").unwrap();
        assert!(publication.published);
        assert_eq!(publication.version.version, 1);
        assert_eq!(publication.version.sha256, sha256_hex(&first));
        assert_eq!(publication.version.size_bytes, first.len() as u64);
        assert_eq!(publication.version.label, "mali-2015.vzs");

        let second = zone_set_bytes(2);
        let publication = store.publish_geography(&second, "renamed.vzs").unwrap();
        assert!(publication.published);
        assert_eq!(publication.version.version, 2);

        let current = store.current_geography().unwrap().unwrap();
        assert_eq!(current.version, publication.version);
        assert_eq!(current.bytes, second);
        assert_eq!(
            store.current_geography_version().unwrap(),
            Some(publication.version.clone())
        );
        let listed: Vec<(i64, String)> = store
            .geography_versions()
            .unwrap()
            .into_iter()
            .map(|version| (version.version, version.label))
            .collect();
        assert_eq!(
            listed,
            vec![
                (2, "renamed.vzs".to_owned()),
                (1, "mali-2015.vzs".to_owned())
            ]
        );
    }

    pub fn the_current_bytes_are_not_published_twice(store: &dyn Store) {
        let bytes = zone_set_bytes(7);
        let first = store.publish_geography(&bytes, "first").unwrap();
        let again = store.publish_geography(&bytes, "second label").unwrap();
        assert!(!again.published);
        assert_eq!(again.version, first.version);
        assert_eq!(store.geography_versions().unwrap().len(), 1);
    }

    pub fn an_older_version_may_be_published_again(store: &dyn Store) {
        let old = zone_set_bytes(1);
        let new = zone_set_bytes(2);
        store.publish_geography(&old, "old").unwrap();
        store.publish_geography(&new, "new").unwrap();
        // Going back is a publication like any other: a new version with the old bytes.
        let back = store.publish_geography(&old, "old again").unwrap();
        assert!(back.published);
        assert_eq!(back.version.version, 3);
        assert_eq!(back.version.sha256, sha256_hex(&old));
        assert_eq!(store.current_geography().unwrap().unwrap().bytes, old);
    }

    pub fn replicas_seeding_at_once_make_one_version(database: TestDatabase) {
        let bytes = zone_set_bytes(3);
        let stores: Vec<_> = (0..4)
            .map(|_| vigie_store::open(database.location()).unwrap())
            .collect();
        let publications: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = stores
                .iter()
                .map(|store| scope.spawn(|| store.publish_geography(&bytes, "embedded").unwrap()))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .collect()
        });
        assert_eq!(
            publications
                .iter()
                .filter(|publication| publication.published)
                .count(),
            1
        );
        assert!(
            publications
                .iter()
                .all(|publication| publication.version.version == 1)
        );
        assert_eq!(database.store().geography_versions().unwrap().len(), 1);
    }

    pub fn a_publication_survives_reopening(mut database: TestDatabase) {
        let bytes = zone_set_bytes(9);
        database.store().publish_geography(&bytes, "kept").unwrap();
        let store = database.reopen();
        let current = store.current_geography().unwrap().unwrap();
        assert_eq!(current.version.version, 1);
        assert_eq!(current.bytes, bytes);
    }
}

/// A publication on PostgreSQL notifies listeners on `vigie_geography` with its version,
/// once committed; republishing the current bytes notifies nothing.
#[test]
fn postgres_listeners_hear_of_each_new_version() {
    let database = TestDatabase::postgres();
    let mut listener = vigie_store::Listener::new(
        database.location(),
        vigie_store::GEOGRAPHY_CHANNEL,
        vigie_store::GEOGRAPHY_LISTEN_APPLICATION,
    )
    .unwrap();
    assert_eq!(
        listener.wait(Duration::from_secs(5)).unwrap(),
        vigie_store::ListenOutcome::Connected
    );
    assert_eq!(
        listener.wait(Duration::from_millis(100)).unwrap(),
        vigie_store::ListenOutcome::Quiet
    );
    database
        .store()
        .publish_geography(&zone_set_bytes(1), "one")
        .unwrap();
    assert_eq!(
        wait_for_publication(&mut listener),
        vigie_store::ListenOutcome::Notified(1)
    );
    database
        .store()
        .publish_geography(&zone_set_bytes(1), "one again")
        .unwrap();
    assert_eq!(
        listener.wait(Duration::from_millis(300)).unwrap(),
        vigie_store::ListenOutcome::Quiet
    );
    database
        .store()
        .publish_geography(&zone_set_bytes(2), "two")
        .unwrap();
    assert_eq!(
        wait_for_publication(&mut listener),
        vigie_store::ListenOutcome::Notified(2)
    );
}

fn wait_for_publication(listener: &mut vigie_store::Listener) -> vigie_store::ListenOutcome {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let outcome = listener.wait(Duration::from_millis(200)).unwrap();
        if outcome != vigie_store::ListenOutcome::Quiet || Instant::now() > deadline {
            return outcome;
        }
    }
}
