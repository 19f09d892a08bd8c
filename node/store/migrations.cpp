#include "node/store/migrations.h"

#include <iterator>

#include "node/store/store.h"

namespace vigil::node {
namespace {

// Version 1: key shares (sealed), registered ciphertexts, request nonces.
// Version 2: ceremonies and their journals.
// Version 3: a finished ceremony's outcome, as its status reports it.
// Version 4: protected secrets, their heartbeats, and the releases made.
// Version 5: the audit chain; a release's nonce, once per key id; no more
// unprotected ciphertexts or the nonces of their requests.
// Version 6: gossip: each protected secret's place in this node's sequence
// of changes, the heartbeat that last replaced its ciphertext, and how far
// this node has caught up with each peer.
// Version 7: a random id for this database's sequence of changes, and with
// each cursor the id of the peer's sequence it counts in: a peer whose
// database was replaced or restored numbers its changes anew.
const char* const kMigrations[] = {
    R"sql(
      CREATE TABLE key_shares (
        epoch INTEGER PRIMARY KEY,
        sealed BLOB NOT NULL,
        created_unix_ms INTEGER NOT NULL);
      CREATE TABLE ciphertexts (
        digest BLOB PRIMARY KEY,
        body BLOB NOT NULL,
        registered_unix_ms INTEGER NOT NULL);
      CREATE TABLE request_nonces (
        requester BLOB NOT NULL,
        nonce BLOB NOT NULL,
        expires_unix_ms INTEGER NOT NULL,
        PRIMARY KEY (requester, nonce));
      CREATE INDEX request_nonces_expiry ON request_nonces (expires_unix_ms);
    )sql",
    R"sql(
      CREATE TABLE ceremonies (
        session_id BLOB PRIMARY KEY,
        request BLOB NOT NULL,
        sealed_seed BLOB NOT NULL,
        accepted_unix_ms INTEGER NOT NULL,
        state TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '',
        finished_unix_ms INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE ceremony_events (
        session_id BLOB NOT NULL REFERENCES ceremonies (session_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event BLOB NOT NULL,
        PRIMARY KEY (session_id, seq));
    )sql",
    R"sql(
      ALTER TABLE ceremonies ADD COLUMN outcome BLOB NOT NULL DEFAULT x'';
    )sql",
    R"sql(
      CREATE TABLE protected_secrets (
        key_id BLOB PRIMARY KEY,
        registration BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        heartbeat_counter INTEGER NOT NULL DEFAULT 0,
        heartbeat_unix_ms INTEGER NOT NULL,
        heartbeat BLOB NOT NULL DEFAULT x'',
        releases INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE releases (
        request_digest BLOB PRIMARY KEY,
        key_id BLOB NOT NULL REFERENCES protected_secrets (key_id),
        response BLOB NOT NULL,
        released_unix_ms INTEGER NOT NULL);
    )sql",
    R"sql(
      ALTER TABLE releases ADD COLUMN nonce BLOB;
      CREATE UNIQUE INDEX releases_nonce ON releases (key_id, nonce);
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        hash BLOB NOT NULL,
        entry BLOB NOT NULL);
      DROP TABLE ciphertexts;
      DROP TABLE request_nonces;
    )sql",
    R"sql(
      ALTER TABLE protected_secrets ADD COLUMN rotation BLOB NOT NULL DEFAULT x'';
      ALTER TABLE protected_secrets ADD COLUMN rotation_counter INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE protected_secrets ADD COLUMN gossip_seq INTEGER NOT NULL DEFAULT 0;
      UPDATE protected_secrets SET gossip_seq = rowid;
      CREATE INDEX protected_secrets_gossip ON protected_secrets (gossip_seq);
      CREATE TABLE gossip_cursors (
        peer INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL);
    )sql",
    R"sql(
      CREATE TABLE node_meta (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL);
      INSERT INTO node_meta (name, value) VALUES ('gossip_sequence_id', randomblob(16));
      ALTER TABLE gossip_cursors ADD COLUMN sequence_id BLOB NOT NULL DEFAULT x'';
    )sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

}  // namespace

std::span<const char* const> schema_migrations() { return kMigrations; }

}  // namespace vigil::node
