--[[
  One announce, in one round trip, touching one torrent's keys and its shard's (one hash tag,
  so one Redis Cluster slot). The worker has already found the user (its passkey list is in
  memory) and ranked its own failures (peer id, whitelist, address); this script finds the
  torrent, inserts/updates/moves/removes the peer, edits the cached candidates, records a
  completion and the accounting for MySQL, and hands back the counts and candidates.
  Nothing is written before the last check.

  KEYS[1] torrent    HASH  id, f (free type), sn (snatched), lr (time of the last torrent
                           row), ns/nl (seeders/leechers), k<uid> (freeleech tokens),
                           dr (deletion reason "code|time", only once deleted), candidates
                           (includes/candidates.lua)
  KEYS[2] seeders    HASH  uid u32 .. peer_id -> record (includes/peerRecord.lua)
  KEYS[3] leechers   HASH  the same for leechers
  KEYS[4] pending    HASH  the shard's pending rows (includes/pendingRows.lua)
  KEYS[5] snatches   LIST  the shard's pending completions
  KEYS[6] expiries   LIST  the shard's used-up tokens "uid:tid", for the site callback
  KEYS[7] swarms     SET   the shard's hex info_hashes that may hold peers (the reaper's list)
  KEYS[8] counts     HASH  the shard's peers: s, l, 4, 6 (moved on transitions only), and ok
                           (written when the shard's torrents are loaded: its absence means
                           Redis lost them)
  KEYS[9] tokens     SET   the shard's "tid:uid" tokens (the loader's index of the k<uid> fields)
  ARGV[1] the announce, packed (ARGS below; packages/swarm-store/src/announce-args.ts packs it)
  ARGV[2] the hex info_hash

  Returns {0, 1, deletion reason or nil} unregistered torrent, {0, 2} the worker's own failure,
  {0, 3} the shard's lists are missing (unavailable), {2} leeching forbidden (after the
  bookkeeping), or {1, seeders, leechers, snatched, notes} (notes: 1 = a transfer was too big
  to credit, 2 = an announce older than the stored one, credited nothing). The wanted candidate
  fields (bits s4 s6 l4 l6) are drawn here when stale; the worker reads them with an HMGET sent
  right behind this call. A non-compact announce (rare) gets them here instead, each record
  followed by its peer id, one list per wanted field.
]]
--- @include "includes/peerRecord"
--- @include "includes/candidates"
--- @include "includes/pendingRows"

local ARGS = '>I4BBI7I7I7I7I2Bc0c20BI2I2I4I7I7Bc0Bc0'
-- Counters behind the stored ones within this many seconds of the stored announce: the request
-- was sent before the stored one (reordered or replayed), not by a restarted client. No request
-- is processed this late (Node's connection_timeout, the Redis timeout, no queues), while a
-- restarted client announces again only after its interval (docs/accounting.md).
local STALE_SECONDS = 60
local U32_MAX = 4294967295
local uid, flags, ev, left, up, down, corrupt, port, addrs, peerId, wanted, cap, ttl, now, maxRate, maxDelta, ua, err =
  struct.unpack(ARGS, ARGV[1])

-- (numbers become text through string.format's integer path: `..` and redis.call format them
-- as floats, %.14g and %.17g, several times the work)
local tokenField = string.format('k%d', uid)
local T = redis.call('HMGET', KEYS[1], 'id', 'f', 'sn', 'lr', 'ns', 'nl', tokenField, 'ch')
if not T[1] then
  -- (the deletion reason is read only for a torrent that is not there)
  local reason = redis.call('HGET', KEYS[1], 'dr')
  if reason then return { 0, 1, reason } end
  if redis.call('HEXISTS', KEYS[8], 'ok') == 0 then return { 0, 3 } end
  return { 0, 1 }
end
if err ~= '' then return { 0, 2 } end

-- All checks passed: from here on, state changes.
-- (`now` is the worker's reading of Redis' clock, packages/swarm-store/src/redis-clock.ts: a
-- TIME here cost about 6% of the script)
local tid, free = tonumber(T[1]), tonumber(T[2]) or 0
local snatched, lastRow = tonumber(T[3]) or 0, tonumber(T[4]) or 0
local ns, nl = tonumber(T[5]) or 0, tonumber(T[6]) or 0
local hasToken = T[7] ~= false
local canLeech = bit.band(flags, 1) ~= 0
local record = bit.band(flags, 4) == 0
-- the flush is behind (the worker's hint): the peer's row is most likely still pending
local rowsPending = bit.band(flags, 16) ~= 0
local stopped = ev == 3
local seederNow = left == 0
local v4, v6 = '', ''
if #addrs == 4 or #addrs == 20 then v4 = string.sub(addrs, 1, 4) end
if #addrs >= 16 then v6 = string.sub(addrs, -16) end

-- (the packed argument starts with the uid as u32)
local uidBytes = string.sub(ARGV[1], 1, 4)
local peerKey = uidBytes .. peerId
local hereKey, otherKey = KEYS[3], KEYS[2]
if seederNow then hereKey, otherKey = KEYS[2], KEYS[3] end
local raw = redis.call('HGET', hereKey, peerKey)
if not raw then raw = redis.call('HGET', otherKey, peerKey) end
-- The stored record, as locals (o*; oFlags is nil for a new peer): an announce builds no
-- table it can do without.
local oLeft, oUp, oDown, oCorrupt, oFirst, oLast, oAnnounces, oPort, oFlags, oV4, oV6
local oSeeder, oVisible = false, false
if raw then
  oLeft, oUp, oDown, oCorrupt, oFirst, oLast, oAnnounces, oPort, oFlags, oV4, oV6 = unpackPeer(raw)
  oSeeder, oVisible = hasFlag(oFlags, FLAG_SEEDER), hasFlag(oFlags, FLAG_VISIBLE)
  -- a worker whose clock reading is a moment behind the one that stored the record: the peer's
  -- time never runs backwards (no negative seed time)
  if now < oLast then now = oLast end
end
local known = raw ~= false

-- An announce older than the stored one (see STALE_SECONDS) changes nothing the stored one
-- said: no credit, the same baseline, list, left and time, whatever its event. Only its
-- address is taken, as from any announce (the other family of a dual-stack client).
local older = known and (up < oUp or down < oDown or corrupt < oCorrupt) and now - oLast < STALE_SECONDS
if older then
  ev, left, seederNow, stopped = 0, oLeft, oSeeder, false
  hereKey, otherKey = KEYS[3], KEYS[2]
  if seederNow then hereKey, otherKey = KEYS[2], KEYS[3] end
end

-- A completion counts once per download: a peer already seeding records no snatch; a brand-new
-- peer announcing 'completed' does (as Ocelot).
local snatch = ev == 2 and seederNow and not oSeeder
-- the peer's new record (n*)
-- (its left and its list are `left` and `seederNow`, as settled above)
local nPort, nLast, nVisible = port, now, seederNow or canLeech
local nV4, nV6, nFresh4, nFresh6
if older and port ~= oPort then
  -- an older port: the stored addresses are the newer ones
  nPort, nV4, nV6, nFresh4, nFresh6 = oPort, oV4, oV6, hasFlag(oFlags, FLAG_FRESH4), hasFlag(oFlags, FLAG_FRESH6)
else
  nV4, nV6, nFresh4, nFresh6 = mergeAddresses(port, v4, v6, oFlags, oPort, oV4, oV6)
end

-- Transfer since the last announce: a new session sets the baseline and credits nothing,
-- counters that went backwards after a while (a restarted client) reset it, and so does a
-- transfer bigger than the peer could have moved (the limits); otherwise the deltas count.
local nFirst, nUp, nDown, nCorrupt, nAnnounces
local du, dd, dc = 0, 0, 0
local notes = 0
local updateTorrent, heavy, normal = false, false, false
if older then
  nFirst, nUp, nDown, nCorrupt, nAnnounces, nLast = oFirst, oUp, oDown, oCorrupt, oAnnounces + 1, oLast
  heavy = nV4 ~= oV4 or nV6 ~= oV6
  notes = 2
elseif not known or ev == 1 then
  nFirst, nUp, nDown, nCorrupt, nAnnounces = now, up, down, corrupt, 1
  updateTorrent, heavy = true, true
else
  local limit = maxDelta
  if maxRate > 0 then
    local byRate = maxRate * math.max(1, now - oLast)
    if limit == 0 or byRate < limit then limit = byRate end
  end
  if up < oUp or down < oDown or (limit > 0 and (up - oUp > limit or down - oDown > limit)) then
    if up >= oUp and down >= oDown then notes = 1 end
    nFirst, nUp, nDown, nCorrupt, nAnnounces = oFirst, up, down, oCorrupt, oAnnounces + 1
    heavy = true
  else
    nFirst, nUp, nDown, nCorrupt, nAnnounces = oFirst, up, down, corrupt, oAnnounces + 1
    normal = true
    du, dd, dc = up - oUp, down - oDown, corrupt - oCorrupt
    if du ~= 0 or dd ~= 0 or dc ~= 0 then heavy = true end
  end
end
if stopped or (known and oSeeder ~= seederNow) then updateTorrent = true end

-- this announce's accounting: credited up/down, real up/down, forgiven up/down, token down,
-- seed time, snatches (summed into the peer's pending row), and the torrent's balance change.
-- A transfer changes nothing in the torrent's own row: the flush reads it from the peer's row
-- (its balance, and last_action as Ocelot refreshes it on every transfer).
local cu, cd, fu, fd, td, seedTime = 0, 0, 0, 0, 0, 0
local balanceDelta = -dc
local upspeed, downspeed = 0, 0
if du ~= 0 or dd ~= 0 then
  balanceDelta = balanceDelta + du - dd
  if now > oLast then
    upspeed = math.min(U32_MAX, math.floor(du / (now - oLast)))
    downspeed = math.min(U32_MAX, math.floor(dd / (now - oLast)))
  end
  cu, cd, fu, fd = discount(du, dd, free, hasToken)
  if hasToken then td = dd end
end
if snatch then updateTorrent = true end
-- Seed time: the whole gap since the last announce, if the peer was seeding through it (a
-- leecher reporting left=0 without 'completed' counts as seeding already, as in Ocelot).
if normal and (oSeeder or (seederNow and ev ~= 2)) then seedTime = now - oLast end

-- the swarm: the peer's record, the counts, the shard's counters (transitions only)
local tw = {}
if stopped then
  if known then redis.call('HDEL', oSeeder and KEYS[2] or KEYS[3], peerKey) end
else
  redis.call('HSET', hereKey, peerKey, packPeer(left, nUp, nDown, nCorrupt, nFirst, nLast, nAnnounces, nPort,
    nVisible, seederNow, nFresh4, nFresh6, nV4, nV6))
  if known and oSeeder ~= seederNow then redis.call('HDEL', otherKey, peerKey) end
end
local ds, dl, d4, d6 = 0, 0, 0, 0
if known then
  if oSeeder then ds = -1 else dl = -1 end
  if oV4 ~= '' then d4 = -1 end
  if oV6 ~= '' then d6 = -1 end
end
if not stopped then
  if seederNow then ds = ds + 1 else dl = dl + 1 end
  if nV4 ~= '' then d4 = d4 + 1 end
  if nV6 ~= '' then d6 = d6 + 1 end
end
if ds ~= 0 or dl ~= 0 then
  if not known and ns + nl == 0 then redis.call('SADD', KEYS[7], ARGV[2]) end
  ns, nl = ns + ds, nl + dl
  tw[#tw + 1] = 'ns'; tw[#tw + 1] = string.format('%d', ns)
  tw[#tw + 1] = 'nl'; tw[#tw + 1] = string.format('%d', nl)
  if ds ~= 0 then redis.call('HINCRBY', KEYS[8], 's', ds) end
  if dl ~= 0 then redis.call('HINCRBY', KEYS[8], 'l', dl) end
end
if d4 ~= 0 then redis.call('HINCRBY', KEYS[8], '4', d4) end
if d6 ~= 0 then redis.call('HINCRBY', KEYS[8], '6', d6) end

-- the cached candidates: edited in place when the peer's records moved
local heads = T[8] or NO_HEADS
local headsBefore = heads
-- (a routine re-announce changes none of what the records hold: no strings built for it)
if stopped or not known or oSeeder ~= seederNow or oVisible ~= nVisible or oPort ~= port
    or oV4 ~= nV4 or oV6 ~= nV6 then
  local o4, o6 = nil, nil
  if known then o4, o6 = peerRecords(oVisible, oPort, oV4, oV6, uidBytes) end
  local n4, n6 = nil, nil
  if not stopped then n4, n6 = peerRecords(nVisible, nPort, nV4, nV6, uidBytes) end
  local oldList = oSeeder and 's' or 'l'
  local newList = seederNow and 's' or 'l'
  if o4 ~= n4 or o6 ~= n6 or oldList ~= newList then
    local writes
    heads, writes = editCandidates(KEYS[1], heads, oldList, o4, o6, newList, n4, n6, cap)
    if writes then for _, x in ipairs(writes) do tw[#tw + 1] = x end end
  end
end

-- the torrent's state
if snatch then
  snatched = snatched + 1
  tw[#tw + 1] = 'sn'; tw[#tw + 1] = string.format('%d', snatched)
end
-- (the torrent's balance change rides on the peer's pending row: no write to the torrent's
-- hash for it, so a routine announce leaves that hash alone)

if record then
  local tidBytes = struct.pack('>I4', tid)
  local rowAddrs = bit.band(flags, 2) ~= 0 and '' or (nV4 .. nV6)
  if snatch then
    putSnatch(KEYS[5], uid, tid, now, rowAddrs)
    -- The token is used up by the completion, with or without a transfer delta (Ocelot keeps
    -- it when the completing announce moved no bytes).
    if hasToken then
      redis.call('HDEL', KEYS[1], tokenField)
      redis.call('SREM', KEYS[9], tid .. ':' .. uid)
      redis.call('RPUSH', KEYS[6], uid .. ':' .. tid)
    end
  end
  -- The torrent row: on any change to its counts or snatches, and at least hourly while the
  -- torrent is active (the site's crons read last_action and the counts). Its time is
  -- refreshed at most once a minute (AOF bytes), so the hourly row may come up to 60 s early,
  -- never late. (written with the peer's row, in one HSET)
  local torrentRow = nil
  if updateTorrent or lastRow + 3600 < now then
    torrentRow = torrentRowValue(ns, nl)
    if snatch then addTorrentSnatch(KEYS[4], tidBytes) end
    if lastRow + 60 <= now then tw[#tw + 1] = 'lr'; tw[#tw + 1] = string.format('%d', now) end
  end
  putPeerRow(KEYS[4], tidBytes .. peerKey, heavy or stopped, stopped and 0 or 1, nUp, nDown, upspeed,
    downspeed, left, nCorrupt, now - nFirst, nAnnounces, now, rowAddrs, ua, balanceDelta,
    cu, cd, du, dd, fu, fd, td, seedTime, snatch and 1 or 0, free, tidBytes, uidBytes, torrentRow, rowsPending)
end

if left > 0 and not canLeech then
  if heads ~= headsBefore then tw[#tw + 1] = 'ch'; tw[#tw + 1] = heads end
  if #tw > 0 then redis.call('HSET', KEYS[1], unpack(tw)) end
  return { 2 }
end

-- the wanted candidate fields, drawn afresh where stale (the worker reads them next)
if not stopped then
  for i = 1, 4 do
    if bit.band(wanted, 2 ^ (i - 1)) ~= 0 and stale(heads, i, now, ttl) then
      local list = i <= 2 and 's' or 'l'
      if #tw > 0 then redis.call('HSET', KEYS[1], unpack(tw)); tw = {} end
      heads = drawCandidates(KEYS[1], heads, list, list == 's' and KEYS[2] or KEYS[3], list == 's' and ns or nl, cap, now)
      headsBefore = heads
    end
  end
end
if heads ~= headsBefore then tw[#tw + 1] = 'ch'; tw[#tw + 1] = heads end
if #tw > 0 then redis.call('HSET', KEYS[1], unpack(tw)) end

local reply = { 1, ns, nl, snatched, notes }
if stopped or wanted == 0 or bit.band(flags, 8) == 0 then return reply end
-- non-compact replies (rare) need peer ids: drawn afresh, each record followed by its peer id
for i = 1, 4 do
  if bit.band(wanted, 2 ^ (i - 1)) ~= 0 then
    local list = {}
    local flat = redis.call('HRANDFIELD', i <= 2 and KEYS[2] or KEYS[3], cap, 'WITHVALUES')
    for j = 1, #flat, 2 do
      local r4, r6 = storedRecords(flat[j + 1], string.sub(flat[j], 1, 4))
      local r = i % 2 == 1 and r4 or r6
      if r then list[#list + 1] = r .. string.sub(flat[j], 5) end
    end
    reply[#reply + 1] = list
  end
end
return reply
