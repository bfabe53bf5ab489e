namespace GetApp.Agent.Core.Storage;

/// <summary>
/// The schema, as an ordered list of migrations. Migration N brings <c>PRAGMA user_version</c> from N-1 to N.
/// Never edit a migration that has shipped: add the next one.
/// </summary>
internal static class SchemaMigrations
{
    public static readonly string[] All =
    [
        // 1: releases and their lifecycle, artifacts' delivery progress, deployments, outbox, settings, device.
        """
        CREATE TABLE releases (
            catalog_id        TEXT PRIMARY KEY NOT NULL,
            release_json      TEXT NOT NULL,
            artifacts_json    TEXT NOT NULL DEFAULT '[]',
            hierarchy_json    TEXT,
            is_push           INTEGER NOT NULL DEFAULT 0,
            offered           INTEGER NOT NULL DEFAULT 1,
            state             TEXT NOT NULL,
            delivery_state    TEXT,
            delivery_status   TEXT,
            deploy_status     TEXT,
            progress          REAL,
            eta               INTEGER,
            err_msg           TEXT,
            download_duration INTEGER,
            arts_dir_path     TEXT,
            discovered_at     TEXT NOT NULL,
            updated_at        TEXT NOT NULL
        );
        CREATE TABLE release_dependencies (
            catalog_id TEXT NOT NULL,
            depends_on TEXT NOT NULL,
            PRIMARY KEY (catalog_id, depends_on)
        );
        CREATE INDEX ix_release_dependencies_depends_on ON release_dependencies (depends_on);
        CREATE TABLE artifact_deliveries (
            catalog_id   TEXT NOT NULL,
            item_key     TEXT NOT NULL,
            file_name    TEXT NOT NULL,
            source_url   TEXT,
            size         INTEGER,
            bytes_done   INTEGER NOT NULL DEFAULT 0,
            validator    TEXT,
            status       TEXT NOT NULL,
            updated_at   TEXT NOT NULL,
            PRIMARY KEY (catalog_id, item_key)
        );
        CREATE TABLE deployments (
            catalog_id       TEXT PRIMARY KEY NOT NULL,
            status           TEXT NOT NULL,
            requested_status TEXT,
            progress         INTEGER,
            eta              INTEGER,
            message_log      TEXT,
            started_at       TEXT,
            stopped_at       TEXT,
            completed_at     TEXT,
            details_json     TEXT,
            updated_at       TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            kind        TEXT NOT NULL,
            payload     TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  TEXT
        );
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        );
        CREATE TABLE device (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        );
        """,

        // 2: the parent face (docs/parent.md): the child registry, the releases fetched for children, the hashes of
        // served artifacts, and the outbox rows relayed for a child (tagged with its device id; NULL = this agent's own).
        """
        CREATE TABLE children (
            device_id        TEXT PRIMARY KEY NOT NULL,
            device_type_json TEXT NOT NULL DEFAULT '[]',
            platform         TEXT,
            platform_id      TEXT,
            address          TEXT,
            device_data_json TEXT,
            offering_json    TEXT,
            offering_at      TEXT,
            first_seen_at    TEXT NOT NULL,
            last_seen_at     TEXT NOT NULL
        );
        CREATE TABLE child_releases (
            device_id          TEXT NOT NULL,
            catalog_id         TEXT NOT NULL,
            state              TEXT NOT NULL,
            delivery_status    TEXT,
            deploy_status      TEXT,
            progress           REAL,
            error              TEXT,
            last_delivery_time TEXT,
            last_deploy_time   TEXT,
            updated_at         TEXT NOT NULL,
            PRIMARY KEY (device_id, catalog_id)
        );
        CREATE TABLE child_cache (
            catalog_id    TEXT PRIMARY KEY NOT NULL,
            requested_by  TEXT NOT NULL,
            fetched_at    TEXT NOT NULL,
            last_used_at  TEXT NOT NULL
        );
        CREATE TABLE served_artifacts (
            catalog_id     TEXT NOT NULL,
            file_name      TEXT NOT NULL,
            size           INTEGER NOT NULL,
            modified_ticks INTEGER NOT NULL,
            sha256_hex     TEXT NOT NULL,
            PRIMARY KEY (catalog_id, file_name)
        );
        ALTER TABLE outbox ADD COLUMN device_id TEXT;
        CREATE INDEX ix_outbox_device_id ON outbox (device_id) WHERE device_id IS NOT NULL;
        """,

        // 3: fleet control (docs/fleet.md). Parent side: how each child is managed (its modes, the operator's decision on
        // its orchestration, its channel's last open and close), the speed and ETA of its transfers, the commands for it
        // (queued while it is offline, in order) and the releases pushed to it. Child side: the commands it received from
        // its parent (each run once) and whether their outcome has reached the parent. The inactivity setting takes its
        // GetApp name.
        """
        ALTER TABLE children ADD COLUMN orchestrate_me INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE children ADD COLUMN reactive_mode INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE children ADD COLUMN orchestration TEXT;
        ALTER TABLE children ADD COLUMN registered_at TEXT;
        ALTER TABLE children ADD COLUMN connected_at TEXT;
        ALTER TABLE children ADD COLUMN disconnected_at TEXT;
        ALTER TABLE child_releases ADD COLUMN speed REAL;
        ALTER TABLE child_releases ADD COLUMN eta INTEGER;
        CREATE TABLE fleet_commands (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            command_id  TEXT NOT NULL UNIQUE,
            device_id   TEXT NOT NULL,
            action      TEXT NOT NULL,
            catalog_id  TEXT,
            status      TEXT NOT NULL,
            message     TEXT,
            created_at  TEXT NOT NULL,
            expires_at  TEXT NOT NULL,
            sent_at     TEXT,
            sends       INTEGER NOT NULL DEFAULT 0,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX ix_fleet_commands_device ON fleet_commands (device_id, seq);
        CREATE TABLE fleet_pushes (
            device_id     TEXT NOT NULL,
            catalog_id    TEXT NOT NULL,
            entries_json  TEXT NOT NULL,
            pushed_at     TEXT NOT NULL,
            PRIMARY KEY (device_id, catalog_id)
        );
        CREATE TABLE managed_commands (
            command_id  TEXT PRIMARY KEY NOT NULL,
            parent_id   TEXT NOT NULL,
            action      TEXT NOT NULL,
            catalog_id  TEXT,
            status      TEXT NOT NULL,
            message     TEXT,
            reported    TEXT,
            received_at TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        UPDATE settings SET key = 'cdnInactiveAfterHours' WHERE key = 'parentInactiveDeviceHours';
        """,

        // 4: the deliveries a full disk stopped, which start again by themselves once space is freed (also after a restart).
        """
        CREATE TABLE delivery_space_waits (
            catalog_id TEXT PRIMARY KEY NOT NULL,
            since      TEXT NOT NULL
        );
        """,

        // 5: what a parent last relayed upstream for each child, so the dates it sends never go backwards when its estimate
        // of the upstream's clock moves: a child's last snapshotDate (unix ms), and per release the last value of each
        // report date (JSON: field name → wire date).
        """
        ALTER TABLE children ADD COLUMN relayed_snapshot_ms INTEGER;
        ALTER TABLE child_releases ADD COLUMN relayed_times_json TEXT;
        """,

        // 6: how many bytes free a delivery waiting for space needs before it starts again (what the rest of its download
        // needs + deliveryStorageBufferBytes); NULL for one the full disk stopped, which waits for the disk to be back.
        """
        ALTER TABLE delivery_space_waits ADD COLUMN needed_bytes INTEGER;
        """,
    ];
}
