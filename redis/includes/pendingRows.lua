--[[
  The pending rows an announce leaves for the MySQL flush, in its shard's `pending` hash. This
  fragment is the only writer of their layout; packages/swarm-store/src/pending-rows.ts is the
  only reader. Rows are coalesced, so their number is bounded by the distinct peers and
  torrents, never by time (a long MySQL outage only makes the sums bigger).

  Fields (binary; their length tells them apart):
    28 bytes  tid u32 .. uid u32 .. peer_id (20)   a peer's row (below)
     4 bytes  tid u32                             the torrent's row: "seeders|leechers" (latest wins)
     5 bytes  tid u32 .. 'n'                      completions to add to torrents.Snatched
    11 bytes  'F' .. tid u32 .. uid u32 .. free type u8 .. 'u' or 'd'
              forgiven bytes left over when the torrent's free type changed while the peer's row
              was pending (rare)
  A peer's row: kind ('h' heavy, 'l' light, 'd' deactivate with nothing else), active, uploaded,
  downloaded, upspeed, downspeed, left, corrupt, time spent, announces, last announce, the
  addresses (0, 4, 16 or 20 bytes: IPv4 then IPv6; none for an IP-protected user), the user
  agent, the torrent's balance change (signed 8 bytes: uploaded - downloaded - corrupt over
  the peer's transfers; the flush adds the torrent's peers' changes to torrents.balance), then
  the accounting block: the peer's transfer since the last flush (credited,
  real, forgiven and token bytes, seed time, completions) and the free type of the forgiven
  bytes. users_main, users_torrents, users_freetorrents and users_freeleeches rows are its
  sums, made at flush time. A heavy row stays heavy until flushed.
]]
local ROW = '>BBI7I7I4I4I7I7I4I4I4Bc0Bc0i8I7I7I7I7I7I7I7I4I2B'
local ACCOUNT = '>I7I7I7I7I7I7I7I4I2B'
local ACCOUNT_LEN = 56
local BALANCE_LEN = 8
-- the fixed head before the addresses' length
local PEER_HEAD = 50
local KIND_H, KIND_L = 104, 108 -- 'h', 'l'
-- The largest integer a double (Lua here, JavaScript at flush time) holds exactly: sums stop
-- there, so one absurd counter can never make a row unreadable or inexact.
local MAX_EXACT = 9007199254740991
-- the accounting's other caps: seed time (u32), snatches (u16)
local U32_CAP, U16_CAP = 4294967295, 65535

local function clampExact(v)
  return math.max(-MAX_EXACT, math.min(MAX_EXACT, v))
end

-- HINCRBY that stops at MAX_EXACT (Redis itself would go on to 2^63).
local function addCapped(key, field, v)
  if redis.call('HINCRBY', key, field, v) > MAX_EXACT then redis.call('HSET', key, field, MAX_EXACT) end
end

-- Discount of one transfer delta: credited up/down, forgiven up/down. A freeleech token wins
-- over every torrent type (GazellePW), then neutral, free, and 25/50/75 % off the download.
local function discount(du, dd, free, hasToken)
  if hasToken then return du, 0, 0, 0 end
  if free == 2 then return 0, 0, du, dd end
  if free == 1 then return du, 0, 0, dd end
  if free >= 11 and free <= 13 then
    local forgiven = math.floor(dd * (free - 10) * 25 / 100)
    return du, dd - forgiven, 0, forgiven
  end
  return du, dd, 0, 0
end

-- The accounting block of a pending row (nil for none): cu, cd, ru, rd, fu, fd, td, seed time,
-- snatches, free type.
local function readAccount(row)
  if not row or #row < ACCOUNT_LEN + 1 or string.sub(row, 1, 1) == 'd' then return nil end
  return struct.unpack(ACCOUNT, row, #row - ACCOUNT_LEN + 1)
end

-- The balance change a pending row carries (0 without one: a 'd' row, or a row written before
-- rows carried it, by an older version during a rolling upgrade). It sits right after the user
-- agent, so a reader that knows only the accounting block at the end reads such rows too.
local function readBalance(row)
  if not row or #row < PEER_HEAD + 2 + ACCOUNT_LEN then return 0 end
  local addrLen = string.byte(row, PEER_HEAD + 1)
  local at = PEER_HEAD + 3 + addrLen + string.byte(row, PEER_HEAD + 2 + addrLen)
  if #row - ACCOUNT_LEN - at + 1 ~= BALANCE_LEN then return 0 end
  return (struct.unpack('>i8', row, at))
end

local function capped(v, cap)
  if v > cap then return cap end
  return v
end

local function packRow(heavy, active, up, down, upspeed, downspeed, left, corrupt, timespent, announces,
                       mtime, addrs, ua, balance, cu, cd, ru, rd, fu, fd, td, seed, snatches, free)
  return struct.pack(ROW, heavy and KIND_H or KIND_L, active, up, down, upspeed, downspeed, left,
    corrupt, timespent, announces, mtime, #addrs, addrs, #ua, ua, clampExact(balance), capped(cu, MAX_EXACT), capped(cd, MAX_EXACT),
    capped(ru, MAX_EXACT), capped(rd, MAX_EXACT), capped(fu, MAX_EXACT), capped(fd, MAX_EXACT), capped(td, MAX_EXACT),
    capped(seed, U32_CAP), capped(snatches, U16_CAP), free)
end

-- Writes a peer's pending row: the new values, its accounting (cu, cd, ru, rd, fu, fd, td,
-- seed time, snatches) and the torrent's balance change added to what was pending. Everything
-- comes as arguments, none as a table (an announce builds no table it can do without: Lua's
-- tables are much of its cost). `torrentRow` (optional, from torrentRowValue) is written in the
-- same HSET. `likelyPending`: the flush is behind, so the row is read first.
local function putPeerRow(key, field, heavy, active, up, down, upspeed, downspeed, left, corrupt,
                          timespent, announces, mtime, addrs, ua, balance, cu, cd, ru, rd, fu, fd, td, seed, snatches,
                          free, tidBytes, uidBytes, torrentRow, likelyPending)
  if not torrentRow and not likelyPending then
    -- Nearly always nothing is pending for the peer (a flush every few seconds, an announce
    -- every half hour): one HSETNX writes the row as it is, and only a row already there is
    -- read and summed with. (While the flush is behind, nearly every peer's row is there: an
    -- HSETNX would only find it, so the row is read first.)
    local row = packRow(heavy, active, up, down, upspeed, downspeed, left, corrupt, timespent, announces,
      mtime, addrs, ua, balance, cu, cd, ru, rd, fu, fd, td, seed, snatches, free)
    if redis.call('HSETNX', key, field, row) == 1 then return end
  end
  local prev = redis.call('HGET', key, field)
  if prev and not heavy and string.byte(prev, 1) == KIND_H then heavy = true end
  local pcu, pcd, pru, prd, pfu, pfd, ptd, pseed, psnatches, pfree = readAccount(prev)
  if pcu then
    -- forgiven bytes belong to the free type they were forgiven under
    if pfree ~= free and (pfu ~= 0 or pfd ~= 0) then
      local freeField = 'F' .. tidBytes .. uidBytes .. string.char(pfree)
      if pfu ~= 0 then addCapped(key, freeField .. 'u', pfu) end
      if pfd ~= 0 then addCapped(key, freeField .. 'd', pfd) end
      pfu, pfd = 0, 0
    end
    cu, cd, ru, rd, fu, fd, td = cu + pcu, cd + pcd, ru + pru, rd + prd, fu + pfu, fd + pfd, td + ptd
    seed, snatches = seed + pseed, snatches + psnatches
    balance = balance + readBalance(prev)
  end
  local row = packRow(heavy, active, up, down, upspeed, downspeed, left, corrupt, timespent, announces,
    mtime, addrs, ua, balance, cu, cd, ru, rd, fu, fd, td, seed, snatches, free)
  if torrentRow then
    redis.call('HSET', key, field, row, tidBytes, torrentRow)
  else
    redis.call('HSET', key, field, row)
  end
end

-- A peer that left without announcing (reaped): its xbt_files_users row becomes active = 0.
-- A pending row keeps its values and accounting, only turns heavy and inactive.
local function putGoneRow(key, field)
  local prev = redis.call('HGET', key, field)
  if prev and string.byte(prev, 1) ~= string.byte('d') then
    redis.call('HSET', key, field, string.char(KIND_H, 0) .. string.sub(prev, 3))
  else
    redis.call('HSET', key, field, 'd')
  end
end

-- The value of the torrent's row: its latest counts (the latest row wins). Its balance changes
-- ride on its peers' rows.
local function torrentRowValue(seeders, leechers)
  return string.format('%d|%d', seeders, leechers)
end

-- One more completion to add to the torrent's Snatched.
local function addTorrentSnatch(key, tidBytes)
  redis.call('HINCRBY', key, tidBytes .. 'n', 1)
end

-- The torrent's row and, with a completion, one more snatch.
local function putTorrentRow(key, tidBytes, seeders, leechers, snatch)
  redis.call('HSET', key, tidBytes, torrentRowValue(seeders, leechers))
  if snatch then addTorrentSnatch(key, tidBytes) end
end

-- A completion for xbt_snatched, in the shard's `snatches` list: uid u32, tid u32, unix time
-- u32, then the addresses as in a peer's row.
local function putSnatch(key, uid, tid, now, addrs)
  redis.call('RPUSH', key, struct.pack('>I4I4I4Bc0', uid, tid, now, #addrs, addrs))
end
