-- Demo rows for the `standalone` compose profile (no GazellePW): three users and three torrents
-- in GazellePW's tracker tables (packages/database/sql/gazellepw-tables.sql, loaded first).
-- MariaDB runs the docker-entrypoint-initdb.d scripts once, on an empty data volume.
--
-- The column lists give every NOT NULL column without a default, so
-- these inserts work under MariaDB's strict default as well as the site's non-strict sql_mode,
-- which compose.yaml sets as GazellePW's .docker/mysql/mysqld_sql_mode.cnf does.
--
-- Announce URL: http://localhost:34000/<torrent_pass>/announce
--   alice  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  (can leech)
--   bob    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb  (can leech; a freeleech token on torrent 1)
--   carol  cccccccccccccccccccccccccccccccc  (leeching disabled: can_leech = 0)
-- Torrents, by info_hash (hex):
--   1  0123456789abcdef0123456789abcdef01234567  normal
--   2  1111111111111111111111111111111111111111  freeleech (FreeTorrent '1')
--   3  2222222222222222222222222222222222222222  neutral leech (FreeTorrent '2')
-- To serve a real .torrent, insert a row with its info_hash and send SIGUSR1 (docs/gazellepw.md).

INSERT INTO users_main
  (ID, Username, Email, PassHash, LastLogin, LastAccess, IP, Title, Enabled, PermissionID, can_leech, torrent_pass, Visible)
VALUES
  (1, 'alice', 'alice@example.invalid', '', NOW(), NOW(), '0.0.0.0', '', '1', 2, 1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '1'),
  (2, 'bob',   'bob@example.invalid',   '', NOW(), NOW(), '0.0.0.0', '', '1', 2, 1, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '1'),
  (3, 'carol', 'carol@example.invalid', '', NOW(), NOW(), '0.0.0.0', '', '1', 2, 0, 'cccccccccccccccccccccccccccccccc', '1');

INSERT INTO torrents
  (ID, GroupID, UserID, RemasterTitle, info_hash, FileCount, FileList, Size, last_action, Time,
   LastReseedRequest, Checked, dead_time, RemasterCustomTitle, Processing, ChineseDubbed, SpecialSub,
   MediaInfo, Note, SubtitleType, Slot, IsExtraSlot, FreeTorrent)
VALUES
  (1, 1, 1, '', UNHEX('0123456789abcdef0123456789abcdef01234567'), 1, '', 1048576, '0000-00-00 00:00:00', NOW(),
   '0000-00-00 00:00:00', 0, '0000-00-00 00:00:00', '', '', 0, 0, '', '', 1, 0, 0, '0'),
  (2, 2, 1, '', UNHEX('1111111111111111111111111111111111111111'), 1, '', 1048576, '0000-00-00 00:00:00', NOW(),
   '0000-00-00 00:00:00', 0, '0000-00-00 00:00:00', '', '', 0, 0, '', '', 1, 0, 0, '1'),
  (3, 3, 1, '', UNHEX('2222222222222222222222222222222222222222'), 1, '', 1048576, '0000-00-00 00:00:00', NOW(),
   '0000-00-00 00:00:00', 0, '0000-00-00 00:00:00', '', '', 0, 0, '', '', 1, 0, 0, '2');

-- An active freeleech token: bob on torrent 1.
INSERT INTO users_freeleeches (UserID, TorrentID, Time, Expired, Uses) VALUES (2, 1, NOW(), 0, 1);

-- xbt_client_whitelist stays empty: every client is allowed.
