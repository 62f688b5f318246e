--[[
  A peer's stored state, packed to stay under Redis' 64-byte listpack limit
  (so small swarms keep the compact hash encoding).
  Layout: left, uploaded, downloaded, corrupt (7-byte unsigned; counters are capped
  at 2^53 by the worker), first announce, last announce, announces (u32), port (u16),
  flags (u8), then the IPv4 (4 bytes) and IPv6 (16 bytes) addresses that the flags say are present.
]]
local FLAG_V4, FLAG_V6, FLAG_VISIBLE, FLAG_SEEDER = 1, 2, 4, 8
local RECORD_FORMAT = '>I7I7I7I7I4I4I4I2B'
local RECORD_FIXED = 43

local function hasFlag(flags, bit)
  return flags % (bit + bit) >= bit
end

local function unpackPeer(raw)
  local left, up, down, corrupt, first, last, announces, port, flags = struct.unpack(RECORD_FORMAT, raw)
  local p = { left = left, up = up, down = down, corrupt = corrupt, first = first, last = last,
              announces = announces, port = port, v4 = '', v6 = '',
              visible = hasFlag(flags, FLAG_VISIBLE), seeder = hasFlag(flags, FLAG_SEEDER) }
  local at = RECORD_FIXED + 1
  if hasFlag(flags, FLAG_V4) then p.v4 = string.sub(raw, at, at + 3); at = at + 4 end
  if hasFlag(flags, FLAG_V6) then p.v6 = string.sub(raw, at, at + 15) end
  return p
end

local function packPeer(p)
  local flags = 0
  if p.v4 ~= '' then flags = flags + FLAG_V4 end
  if p.v6 ~= '' then flags = flags + FLAG_V6 end
  if p.visible then flags = flags + FLAG_VISIBLE end
  if p.seeder then flags = flags + FLAG_SEEDER end
  return struct.pack(RECORD_FORMAT, p.left, p.up, p.down, p.corrupt, p.first, p.last,
                     p.announces, p.port, flags) .. p.v4 .. p.v6
end
