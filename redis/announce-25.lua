--[[
  One announce, in one round trip: authenticate the passkey, find the torrent, check the
  client whitelist, insert/update/move/remove the peer, keep the lists and endpoint sets in
  step, record a completion, and hand back candidate peers for the worker to pick from.

  Failures the worker can find alone (peer_id shape, addresses) arrive in ARGV[3]/ARGV[4] so
  that failures keep Ocelot's precedence (passkey, torrent, peer id, whitelist, address)
  without a second round trip. Nothing is written before the last check.

  Arguments are all strings (binary values as hex or numbers), so clients send them cheaply.

  KEYS[1]  users          HASH  passkey -> "uid|can_leech|protected"
  KEYS[2]  torrents       HASH  hex info_hash -> "tid|free|snatched_at_load"
  KEYS[3]  whitelist      SET   peer_id prefixes
  KEYS[4]  whitelist lens SET   distinct prefix lengths (empty: no whitelist)
  KEYS[5]  del reasons    HASH  hex info_hash -> "reason|unix time"
  KEYS[6]  deleted users  ZSET  uid -> unix time removed
  KEYS[7]  swarms         SET   hex info_hashes that may hold peers (the reaper's work list)
  KEYS[8]  torrent state  HASH  snatched, ...
  KEYS[9]  peers          HASH  peer key (uid u32 .. hex peer_id) -> packed record
  KEYS[10] seeders        ZSET  peer key -> last announce
  KEYS[11] leechers       ZSET  peer key -> last announce
  KEYS[12..15] endpoint sets: seeders v4, seeders v6, leechers v4, leechers v6
  KEYS[16] candidates     HASH  cached candidate blobs per endpoint set
  KEYS[17] cache epoch    STRING  moved when a user is removed
  KEYS[18] tokens         SET   "tid:uid" of active freeleech tokens
  KEYS[19..22] pending rows: torrents, peers, snatches, free (users_main, users_torrents and
           users_freeleeches rows are sums of the peer rows, made at flush time)
  KEYS[23] token expiries LIST  "uid:tid" for the site callback (see includes/accounting.lua)
  KEYS[24] settings       HASH  runtime overrides from the site: announce_interval, announce_jitter
  KEYS[25] peer counts    HASH  seeders, leechers, and '<uid>:s' / '<uid>:l' per user (for the report),
                               moved on transitions only

  ARGV: passkey, hex info_hash, pre-whitelist error, post-whitelist error, hex peer_id, event,
        left, uploaded, downloaded, corrupt, port, ipv4 (u32 or ''), ipv6 (four u32 'a:b:c:d' or ''),
        wanted sets (pairs: 's4', 'l6', ...), reply mode ('c' blobs, 'd' members with peer ids),
        candidate count, candidate cache ttl (s), ipv4 text, ipv6 text, user agent (for the DB),
        readonly ('1': record nothing for MySQL)

  Returns {0, reason[, extra]} for a failure before any write, {2, reason} for a failure
  after the bookkeeping (leeching forbidden), or
  {1, seeders, leechers, snatched, uid, interval override, jitter override,
     <one blob or member list per wanted set>}.
]]
--- @include "includes/peerRecord"
--- @include "includes/endpoints"
--- @include "includes/candidates"
--- @include "includes/accounting"

local rawUser = redis.call('HGET', KEYS[1], ARGV[1])
if not rawUser then return {0, 'Passkey not found'} end

local rawTorrent = redis.call('HGET', KEYS[2], ARGV[2])
if not rawTorrent then
  return {0, 'Unregistered torrent', redis.call('HGET', KEYS[5], ARGV[2]) or ''}
end

if ARGV[3] ~= '' then return {0, ARGV[3]} end

local peerIdHex = ARGV[5]
local lens = redis.call('SMEMBERS', KEYS[4])
if #lens > 0 then
  local allowed = false
  for _, len in ipairs(lens) do
    local n = tonumber(len)
    if n * 2 <= #peerIdHex and redis.call('SISMEMBER', KEYS[3], string.sub(peerIdHex, 1, n * 2)) == 1 then
      allowed = true
      break
    end
  end
  if not allowed then return {0, 'Your client is not on the whitelist'} end
end

if ARGV[4] ~= '' then return {0, ARGV[4]} end

-- All checks passed: from here on, state changes.
local now = tonumber(redis.call('TIME')[1])
local uidStr, canLeechStr, protectedStr = string.match(rawUser, '^(%d+)|(%d)|(%d)')
local uid = tonumber(uidStr)
local canLeech = canLeechStr == '1'
local tidStr, freeStr, snatchBase, balanceBase = string.match(rawTorrent, '^(%d+)|(%d+)|(%d+)|?(%-?%d*)')
local tid, free = tonumber(tidStr), tonumber(freeStr)
local record = ARGV[21] ~= '1'

local event = ARGV[6]
local left, up, down, corrupt = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local port = tonumber(ARGV[11])
local stopped = event == 'stopped'
local seederNow = left == 0

local v4 = ARGV[12] ~= '' and struct.pack('>I4', tonumber(ARGV[12])) or ''
local v6 = ''
if ARGV[13] ~= '' then
  local a, b, c, d = string.match(ARGV[13], '^(%d+):(%d+):(%d+):(%d+)$')
  v6 = struct.pack('>I4I4I4I4', tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end

local peerKey = struct.pack('>I4', uid) .. peerIdHex
local setKeys = { KEYS[12], KEYS[13], KEYS[14], KEYS[15] }

local raw = redis.call('HGET', KEYS[9], peerKey)
local old = raw and unpackPeer(raw) or nil

-- A completion counts once per download: a peer already seeding records no snatch;
-- a brand-new peer announcing 'completed' does (as Ocelot).
local snatch = event == 'completed' and seederNow and (old == nil or not old.seeder)

local p = { left = left, port = port, v4 = v4, v6 = v6, last = now,
            visible = seederNow or canLeech, seeder = seederNow }
-- Transfer since the last announce (§6.5): a new session sets the baseline and credits nothing,
-- counters that went backwards reset it, otherwise the deltas count.
local du, dd, dc = 0, 0, 0
local updateTorrent, peerChanged, normal = false, false, false
if old == nil or event == 'started' then
  p.first, p.up, p.down, p.corrupt, p.announces = now, up, down, corrupt, 1
  updateTorrent, peerChanged = true, true
elseif up < old.up or down < old.down then
  p.first, p.up, p.down, p.corrupt, p.announces = old.first, up, down, old.corrupt, old.announces + 1
  peerChanged = true
else
  p.first, p.up, p.down, p.corrupt, p.announces = old.first, up, down, corrupt, old.announces + 1
  normal = true
  du, dd, dc = up - old.up, down - old.down, corrupt - old.corrupt
  if dc ~= 0 then updateTorrent = true end
  if du ~= 0 or dd ~= 0 or dc ~= 0 then peerChanged = true end
end
if stopped or (old and old.seeder ~= seederNow) then updateTorrent = true end

-- this announce's accounting: credited up/down, real up/down, forgiven up/down, token down,
-- seed time, snatches (summed into the peer's pending row, see includes/accounting.lua)
local acc = { 0, 0, 0, 0, 0, 0, 0, 0, 0 }
local balanceDelta = -dc
local upspeed, downspeed = 0, 0
local hasToken = nil
if du ~= 0 or dd ~= 0 then
  balanceDelta = balanceDelta + du - dd
  updateTorrent = true
  if now > old.last then
    upspeed, downspeed = math.floor(du / (now - old.last)), math.floor(dd / (now - old.last))
  end
  hasToken = redis.call('SISMEMBER', KEYS[18], tidStr .. ':' .. uidStr) == 1
  local cu, cd, fu, fd = discount(du, dd, free, hasToken)
  acc[1], acc[2], acc[3], acc[4], acc[5], acc[6] = cu, cd, du, dd, fu, fd
  if hasToken then acc[7] = dd end
end
if snatch then updateTorrent = true end
-- Seed time: the whole gap since the last announce, if the peer was seeding through it (a
-- leecher reporting left=0 without 'completed' counts as seeding already, as in Ocelot).
if normal and (old.seeder or (seederNow and event ~= 'completed')) then acc[8] = now - old.last end

-- global and per-user counts for the report: written only on transitions
local function count(seeder, n)
  redis.call('HINCRBY', KEYS[25], seeder and 'seeders' or 'leechers', n)
  redis.call('HINCRBY', KEYS[25], uidStr .. (seeder and ':s' or ':l'), n)
end
if stopped then
  if old then count(old.seeder, -1) end
elseif old == nil then
  count(p.seeder, 1)
elseif old.seeder ~= p.seeder then
  count(old.seeder, -1)
  count(p.seeder, 1)
end
-- peers by address family (a dual-stack peer counts in both)
local function families(q, n)
  if q.v4 ~= '' then redis.call('HINCRBY', KEYS[25], 'v4', n) end
  if q.v6 ~= '' then redis.call('HINCRBY', KEYS[25], 'v6', n) end
end
if old and (stopped or old.v4 ~= p.v4 or old.v6 ~= p.v6) then families(old, -1) end
if not stopped and (old == nil or old.v4 ~= p.v4 or old.v6 ~= p.v6) then families(p, 1) end

if stopped then
  if old then
    redis.call('HDEL', KEYS[9], peerKey)
    redis.call('ZREM', old.seeder and KEYS[10] or KEYS[11], peerKey)
    syncEndpoints(setKeys, KEYS[16], old, nil, peerKey)
  end
else
  redis.call('HSET', KEYS[9], peerKey, packPeer(p))
  if old and old.seeder ~= p.seeder then
    redis.call('ZREM', old.seeder and KEYS[10] or KEYS[11], peerKey)
  end
  redis.call('ZADD', p.seeder and KEYS[10] or KEYS[11], now, peerKey)
  syncEndpoints(setKeys, KEYS[16], old, p, peerKey)
  if old == nil then redis.call('SADD', KEYS[7], ARGV[2]) end
end

local state = redis.call('HMGET', KEYS[8], 'snatched', 'balance', 'lastflush')
local snatched = tonumber(state[1] or snatchBase)
local balance = tonumber(state[2] or (balanceBase ~= '' and balanceBase) or '0')
-- the torrent's state changes are written once, at the end (one HSET)
local stateWrites = {}
if snatch then
  snatched = snatched + 1
  stateWrites[#stateWrites + 1] = 'snatched'
  stateWrites[#stateWrites + 1] = snatched
end
if balanceDelta ~= 0 then
  balance = balance + balanceDelta
  stateWrites[#stateWrites + 1] = 'balance'
  stateWrites[#stateWrites + 1] = balance
end

local seeders = redis.call('ZCARD', KEYS[10])
local leechers = redis.call('ZCARD', KEYS[11])

if record then
  local isProtected = protectedStr == '1'
  local ip4 = isProtected and '' or ARGV[18]
  local ip6 = isProtected and '' or ARGV[19]
  if snatch then
    redis.call('RPUSH', KEYS[21], uidStr .. '|' .. tidStr .. '|' .. now .. '|' .. ip4 .. '|' .. ip6)
    acc[9] = 1
    -- The token is used up by the completion, with or without a transfer delta (fixes §14.13).
    if hasToken == nil then hasToken = redis.call('SISMEMBER', KEYS[18], tidStr .. ':' .. uidStr) == 1 end
    if hasToken then
      redis.call('SREM', KEYS[18], tidStr .. ':' .. uidStr)
      redis.call('RPUSH', KEYS[23], uidStr .. ':' .. tidStr)
    end
  end
  -- The torrent row: on any change, and at least hourly while the torrent is active (the
  -- site's crons read last_action and the counts). The time of the last row is refreshed at
  -- most once a minute: a busy torrent writes a row on nearly every announce, and rewriting
  -- the field each time costs AOF bytes for nothing. So the heartbeat may come up to 60 s
  -- early, never late.
  local lastRow = tonumber(state[3] or '0')
  if updateTorrent or lastRow + 3600 < now then
    redis.call('HSET', KEYS[19], tidStr, string.format('%d|%d|%d', seeders, leechers, balance))
    if snatch then redis.call('HINCRBY', KEYS[19], tidStr .. ':sn', 1) end
    if lastRow + 60 <= now then
      stateWrites[#stateWrites + 1] = 'lastflush'
      stateWrites[#stateWrites + 1] = now
    end
  end
  putPeerRow(KEYS[20], struct.pack('>I4I4', uid, tid) .. peerIdHex, peerChanged or stopped, stopped and 0 or 1,
    p, up, down, upspeed, downspeed, now, ip4, ip6, ARGV[20], acc, free, KEYS[22], uidStr, tidStr)
end

if #stateWrites > 0 then redis.call('HSET', KEYS[8], unpack(stateWrites)) end

if left > 0 and not canLeech then return {2, 'Access denied, leeching forbidden'} end

local overrides = redis.call('HMGET', KEYS[24], 'announce_interval', 'announce_jitter')
local reply = {1, seeders, leechers, snatched, uid, overrides[1] or '', overrides[2] or ''}
if stopped or ARGV[14] == '' then return reply end

local fields = {}
for i = 1, #ARGV[14], 2 do fields[#fields + 1] = string.sub(ARGV[14], i, i + 1) end
local sets = { s4 = KEYS[12], s6 = KEYS[13], l4 = KEYS[14], l6 = KEYS[15] }
local size = tonumber(ARGV[16])
if ARGV[15] == 'd' then
  -- non-compact replies (rare) need peer ids: full members, drawn afresh
  for _, f in ipairs(fields) do reply[#reply + 1] = redis.call('ZRANDMEMBER', sets[f], size) end
  return reply
end
local epoch = redis.call('GET', KEYS[17]) or '0'
local blobs = candidates(KEYS[16], fields, sets, size, tonumber(ARGV[17]), epoch, now, KEYS[6])
for _, f in ipairs(fields) do reply[#reply + 1] = blobs[f] end
return reply
