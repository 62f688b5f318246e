--[[
  A peer's swarm record: the value of its field in the torrent's seeders or leechers hash.
  Packed to stay under Redis' 64-byte listpack limit, so small swarms keep the compact encoding.
  Layout: left, uploaded, downloaded, corrupt (7-byte unsigned; the worker caps counters at
  2^53), first announce, last announce, announces (u32), port (u16), flags (u8), then the IPv4
  (4 bytes) and IPv6 (16 bytes) addresses that the flags say are present.
  FRESH4/FRESH6: that address came with the latest announce. A dual-stack client announces
  once per family; the other family's address is kept while it was fresh in the announce
  before, so the peer stays reachable on both (see mergeAddresses).
]]
local FLAG_V4, FLAG_V6, FLAG_VISIBLE, FLAG_SEEDER, FLAG_FRESH4, FLAG_FRESH6 = 1, 2, 4, 8, 16, 32
local RECORD_FORMAT = '>I7I7I7I7I4I4I4I2B'
local RECORD_FIXED = 43

local function unpackPeer(raw)
  local left, up, down, corrupt, first, last, announces, port, flags = struct.unpack(RECORD_FORMAT, raw)
  local p = { left = left, up = up, down = down, corrupt = corrupt, first = first, last = last,
              announces = announces, port = port, v4 = '', v6 = '',
              visible = bit.band(flags, FLAG_VISIBLE) ~= 0, seeder = bit.band(flags, FLAG_SEEDER) ~= 0,
              fresh4 = bit.band(flags, FLAG_FRESH4) ~= 0, fresh6 = bit.band(flags, FLAG_FRESH6) ~= 0 }
  local at = RECORD_FIXED + 1
  if bit.band(flags, FLAG_V4) ~= 0 then p.v4 = string.sub(raw, at, at + 3); at = at + 4 end
  if bit.band(flags, FLAG_V6) ~= 0 then p.v6 = string.sub(raw, at, at + 15) end
  return p
end

local function packPeer(p)
  local flags = 0
  if p.v4 ~= '' then flags = flags + FLAG_V4 end
  if p.v6 ~= '' then flags = flags + FLAG_V6 end
  if p.visible then flags = flags + FLAG_VISIBLE end
  if p.seeder then flags = flags + FLAG_SEEDER end
  if p.fresh4 then flags = flags + FLAG_FRESH4 end
  if p.fresh6 then flags = flags + FLAG_FRESH6 end
  return struct.pack(RECORD_FORMAT, p.left, p.up, p.down, p.corrupt, p.first, p.last,
                     p.announces, p.port, flags) .. p.v4 .. p.v6
end

-- The addresses the peer keeps after an announce that carried v4 and/or v6 (binary, '' when
-- absent). A family the announce lacks is kept if it came with the announce before (the other
-- half of a dual-stack pair), and dropped after a second announce without it.
local function mergeAddresses(p, old, v4, v6)
  p.v4, p.v6, p.fresh4, p.fresh6 = v4, v6, v4 ~= '', v6 ~= ''
  if old and old.port == p.port then
    if v4 == '' and old.v4 ~= '' and old.fresh4 then p.v4 = old.v4 end
    if v6 == '' and old.v6 ~= '' and old.fresh6 then p.v6 = old.v6 end
  end
end
