-- The eight GazellePW tables that the tracker reads or writes.
--
-- Transcribed from
-- Mosasauroidea/GazellePW:gazelle.sql at commit 86c4bedf727691b5a97af42a4864869d18446449
-- plus the one Phinx migration that touches these tables (20221205120723_ipv6.php,
-- see users_main.IP below). Columns, types, NULL-ability, defaults, keys and table
-- options are meant to be identical to a real site's, so that tests exercise the
-- same strict-mode / non-strict-mode behaviour the tracker meets in production.
--
-- Every table: ENGINE=InnoDB DEFAULT CHARSET=utf8mb4, no foreign keys.
-- `CREATE TABLE IF NOT EXISTS` so the file can be loaded into a database that
-- already has (some of) the tables.

CREATE TABLE IF NOT EXISTS `torrents` (
  `ID` int(10) NOT NULL AUTO_INCREMENT,
  `GroupID` int(10) NOT NULL,
  `UserID` int(10) DEFAULT NULL,
  `RemasterYear` int(4) DEFAULT NULL,
  `RemasterTitle` varchar(255) NOT NULL,
  `Scene` enum('0','1') NOT NULL DEFAULT '0',
  `Jinzhuan` enum('0','1') NOT NULL DEFAULT '0',
  `Diy` enum('0','1') NOT NULL DEFAULT '0',
  `Buy` enum('0','1') NOT NULL DEFAULT '0',
  `Allow` enum('0','1') NOT NULL DEFAULT '0',
  `info_hash` blob NOT NULL,
  `FileCount` int(6) NOT NULL,
  `FileList` mediumtext NOT NULL,
  `FilePath` varchar(255) NOT NULL DEFAULT '',
  `Size` bigint(12) NOT NULL,
  `Leechers` int(6) NOT NULL DEFAULT '0',
  `Seeders` int(6) NOT NULL DEFAULT '0',
  `last_action` datetime NOT NULL,
  `FreeTorrent` enum('0','1','2','11','12','13') NOT NULL DEFAULT '0',
  `FreeLeechType` enum('0','1','2','3','4','5','6','7') NOT NULL DEFAULT '0',
  `Time` datetime NOT NULL,
  `Description` text DEFAULT NULL,
  `Snatched` int(10) unsigned NOT NULL DEFAULT '0',
  `balance` bigint(20) NOT NULL DEFAULT '0',
  `LastReseedRequest` datetime NOT NULL,
  `Checked` int(10) NOT NULL,
  `NotMainMovie` enum('0','1') DEFAULT '0',
  `Source` varchar(10) DEFAULT NULL,
  `Codec` varchar(10) DEFAULT NULL,
  `Container` varchar(10) DEFAULT NULL,
  `Resolution` varchar(10) DEFAULT NULL,
  `Subtitles` set('chinese_simplified','chinese_traditional','english','japanese','korean','no_subtitles','arabic','brazilian_port','bulgarian','croatian','czech','danish','dutch','estonian','finnish','french','german','greek','hebrew','hindi','hungarian','icelandic','indonesian','italian','latvian','lithuanian','norwegian','persian','polish','portuguese','romanian','russian','serbian','slovak','slovenian','spanish','swedish','thai','turkish','ukrainian','vietnamese') DEFAULT NULL,
  `Makers` varchar(20) DEFAULT NULL,
  `dead_time` datetime NOT NULL,
  `RemasterCustomTitle` varchar(255) NOT NULL,
  `Processing` varchar(255) NOT NULL,
  `ChineseDubbed` tinyint(1) NOT NULL,
  `SpecialSub` tinyint(1) NOT NULL,
  `MediaInfo` mediumtext NOT NULL,
  `Note` text NOT NULL,
  `SubtitleType` int(11) NOT NULL,
  `Slot` int(11) NOT NULL,
  `IsExtraSlot` tinyint(1) NOT NULL,
  PRIMARY KEY (`ID`) USING BTREE,
  UNIQUE KEY `InfoHash` (`info_hash`(40)) USING BTREE,
  KEY `GroupID` (`GroupID`) USING BTREE,
  KEY `UserID` (`UserID`) USING BTREE,
  KEY `Year` (`RemasterYear`) USING BTREE,
  KEY `FileCount` (`FileCount`) USING BTREE,
  KEY `Size` (`Size`) USING BTREE,
  KEY `Seeders` (`Seeders`) USING BTREE,
  KEY `Leechers` (`Leechers`) USING BTREE,
  KEY `Snatched` (`Snatched`) USING BTREE,
  KEY `last_action` (`last_action`) USING BTREE,
  KEY `Time` (`Time`) USING BTREE,
  KEY `FreeTorrent` (`FreeTorrent`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `users_main` (
  `ID` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `Username` varchar(20) NOT NULL,
  `Email` varchar(255) NOT NULL,
  `PassHash` varchar(60) NOT NULL,
  `Secret` char(32) DEFAULT NULL,
  `IRCKey` char(32) DEFAULT NULL,
  `LastLogin` datetime NOT NULL,
  `LastAccess` datetime NOT NULL,
  -- gazelle.sql defines `IP` varchar(40) NOT NULL DEFAULT '0.0.0.0'. The Phinx migration
  -- 20221205120723_ipv6.php redefines it as a Phinx `string` of length 45, which rewrites
  -- the whole column definition: varchar(45), NOT NULL, and (probably) NO default any more.
  -- We model the post-migration column, the stricter of the two readings: a strict-mode
  -- INSERT must give IP explicitly.
  `IP` varchar(45) NOT NULL,
  `Class` tinyint(2) NOT NULL DEFAULT '5',
  `Uploaded` bigint(20) unsigned NOT NULL DEFAULT '0',
  `Downloaded` bigint(20) unsigned NOT NULL DEFAULT '0',
  `BonusPoints` float(20,5) NOT NULL DEFAULT '0.00000',
  `Title` text NOT NULL,
  `Enabled` enum('0','1','2') NOT NULL DEFAULT '0',
  `Paranoia` text DEFAULT NULL,
  `Visible` enum('1','0') NOT NULL DEFAULT '1',
  `Invites` int(10) unsigned NOT NULL DEFAULT '0',
  `PermissionID` int(10) unsigned NOT NULL,
  `AwardLevel` int(11) NOT NULL DEFAULT '0',
  `CustomPermissions` text DEFAULT NULL,
  `can_leech` tinyint(4) NOT NULL DEFAULT '1',
  `torrent_pass` char(32) NOT NULL,
  `RequiredRatio` double(10,8) NOT NULL DEFAULT '0.00000000',
  `RequiredRatioWork` double(10,8) NOT NULL DEFAULT '0.00000000',
  `ipcc` varchar(2) NOT NULL DEFAULT '',
  `FLTokens` int(10) NOT NULL DEFAULT '0',
  `FLT_Given` int(10) NOT NULL DEFAULT '0',
  `Invites_Given` int(10) NOT NULL DEFAULT '0',
  `2FA_Key` varchar(16) DEFAULT NULL,
  `Recovery` text DEFAULT NULL,
  `FirstTorrent` int(10) NOT NULL DEFAULT '0',
  `TotalUploads` int(11) NOT NULL DEFAULT '0' COMMENT '总发种数',
  `BonusUploaded` bigint(20) NOT NULL DEFAULT '0',
  PRIMARY KEY (`ID`) USING BTREE,
  UNIQUE KEY `Username` (`Username`) USING BTREE,
  KEY `Email` (`Email`) USING BTREE,
  KEY `PassHash` (`PassHash`) USING BTREE,
  KEY `LastAccess` (`LastAccess`) USING BTREE,
  KEY `IP` (`IP`) USING BTREE,
  KEY `Class` (`Class`) USING BTREE,
  KEY `Uploaded` (`Uploaded`) USING BTREE,
  KEY `Downloaded` (`Downloaded`) USING BTREE,
  KEY `Enabled` (`Enabled`) USING BTREE,
  KEY `Invites` (`Invites`) USING BTREE,
  KEY `torrent_pass` (`torrent_pass`) USING BTREE,
  KEY `RequiredRatio` (`RequiredRatio`) USING BTREE,
  KEY `cc_index` (`ipcc`) USING BTREE,
  KEY `PermissionID` (`PermissionID`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `users_freeleeches` (
  `UserID` int(10) NOT NULL,
  `TorrentID` int(10) NOT NULL,
  `Time` datetime NOT NULL,
  `Expired` tinyint(1) NOT NULL DEFAULT '0',
  `Downloaded` bigint(20) NOT NULL DEFAULT '0',
  `Uses` int(10) NOT NULL DEFAULT '1',
  PRIMARY KEY (`UserID`,`TorrentID`) USING BTREE,
  KEY `Time` (`Time`) USING BTREE,
  KEY `Expired_Time` (`Expired`,`Time`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `users_freetorrents` (
  `UserID` int(10) NOT NULL,
  `TorrentID` int(10) NOT NULL,
  `FreeTorrent` enum('0','1','2','11','12','13') NOT NULL DEFAULT '0',
  `Time` datetime NOT NULL,
  `Uploaded` bigint(20) unsigned NOT NULL DEFAULT '0',
  `Downloaded` bigint(20) unsigned NOT NULL DEFAULT '0',
  PRIMARY KEY (`UserID`,`TorrentID`,`FreeTorrent`),
  KEY `Time` (`Time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `users_torrents` (
  `uid` int(11) NOT NULL,
  `fid` int(11) NOT NULL,
  `seedtime` bigint(20) NOT NULL DEFAULT '0',
  `downloaded` bigint(20) NOT NULL DEFAULT '0',
  `uploaded` bigint(20) NOT NULL DEFAULT '0',
  `real_downloaded` bigint(20) NOT NULL DEFAULT '0',
  `real_uploaded` bigint(20) NOT NULL DEFAULT '0',
  `snatched` int(11) NOT NULL DEFAULT '0',
  `start_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `end_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`fid`,`uid`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `xbt_client_whitelist` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `peer_id` varchar(20) DEFAULT NULL,
  `vstring` varchar(200) DEFAULT '',
  PRIMARY KEY (`id`) USING BTREE,
  UNIQUE KEY `peer_id` (`peer_id`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `xbt_files_users` (
  `uid` int(11) NOT NULL,
  `active` tinyint(1) NOT NULL DEFAULT '1',
  `announced` int(11) NOT NULL DEFAULT '0',
  `completed` tinyint(1) NOT NULL DEFAULT '0',
  `downloaded` bigint(20) NOT NULL DEFAULT '0',
  `remaining` bigint(20) NOT NULL DEFAULT '0',
  `uploaded` bigint(20) NOT NULL DEFAULT '0',
  `upspeed` int(10) unsigned NOT NULL DEFAULT '0',
  `downspeed` int(10) unsigned NOT NULL DEFAULT '0',
  `corrupt` bigint(20) NOT NULL DEFAULT '0',
  `timespent` int(10) unsigned NOT NULL DEFAULT '0',
  `useragent` varchar(51) NOT NULL DEFAULT '',
  `connectable` tinyint(4) NOT NULL DEFAULT '1',
  `peer_id` binary(20) NOT NULL DEFAULT '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0',
  `fid` int(11) NOT NULL,
  `mtime` int(11) NOT NULL DEFAULT '0',
  `ip` varchar(15) NOT NULL DEFAULT '',
  `ipv6` varchar(45) NOT NULL,
  PRIMARY KEY (`peer_id`,`fid`,`uid`) USING BTREE,
  KEY `remaining_idx` (`remaining`) USING BTREE,
  KEY `fid_idx` (`fid`) USING BTREE,
  KEY `mtime_idx` (`mtime`) USING BTREE,
  KEY `uid_active` (`uid`,`active`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `xbt_snatched` (
  `uid` int(11) NOT NULL DEFAULT '0',
  `tstamp` int(11) NOT NULL,
  `fid` int(11) NOT NULL,
  `IP` varchar(15) NOT NULL,
  `seedtime` int(11) NOT NULL DEFAULT '0',
  `ipv6` varchar(45) NOT NULL,
  KEY `fid` (`fid`) USING BTREE,
  KEY `tstamp` (`tstamp`) USING BTREE,
  KEY `uid_tstamp` (`uid`,`tstamp`) USING BTREE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
