-- Oncilla's announce load for wrk (npm run bench; docs/performance.md, "How to measure").
--
-- The data set is defined by formulas alone, so any tracker seeded with the same formulas
-- (Oncilla by the bench, Ocelot by a script of its own) gets exactly the same load:
--   word(x, m)   = (x * m) mod 2^32 as 8 lower-case hex digits
--   passkey(u)   = word(u,2654435761) .. word(u,2246822519) .. word(u,3266489917) .. word(u,668265263)
--   info_hash(t) = the 20 bytes of word(t,2166136261) word(t,16777619) word(t,1540483477)
--                  word(t,3432918353) word(t,461845907)
--   users 1..BENCH_USERS, torrents 1..BENCH_TORRENTS, BENCH_PEERS peers per torrent
--   slot s in [0, T*P): torrent t = s % T + 1, k = floor(s / T),
--     user u = ((s*2654435761 + 7) mod 2^32) mod U + 1,
--     seeder iff floor(((s*2246822519) mod 2^32) / 65536) mod 100 < BENCH_SEEDER_PCT,
--     peer_id "-TR3000-" .. %012d(s), port 10000 + 1000*(k % 50) + t % 1000
--   request n of thread i: g = n*THREADS + i, slot ((g mod SLOTS)*STRIDE + 12345) mod SLOTS,
--     STRIDE = floor(SLOTS*0.6180339887), bumped until coprime with SLOTS
--   ts = os.time() - 1700000000; seeder: uploaded ts*4096, downloaded 0, left 0;
--     leecher: uploaded ts*1024, downloaded ts*4096, left 536870912
--
-- Environment:
--   BENCH_MODE        fill (every slot sends event=started exactly once, then the thread stops)
--                     or steady (never event=started; runs for wrk's -d)
--   BENCH_THREADS     must equal wrk's -t (default 1)
--   BENCH_USERS, BENCH_TORRENTS (10000), BENCH_PEERS (20), BENCH_SEEDER_PCT (50)
--   BENCH_CONNECTION  new (a Connection: close header: one TCP connection per announce, as real
--                     clients do) or keepalive (no such header)
--   BENCH_UA          User-Agent (Transmission/3.00)
--
-- done() prints one line `BENCH_JSON {...}`. In fill mode each thread prints
-- `BENCH_THREAD_DONE <i>` when its share is answered; wrk itself still sleeps out its -d, so the
-- caller sends it SIGINT then (wrk then ends at once and runs done()).

local function env_number(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  local n = tonumber(v)
  if n == nil or n < 0 or n ~= math.floor(n) then error(name .. " must be a whole number, got " .. v) end
  return n
end

local MODE = os.getenv("BENCH_MODE") or "steady"
if MODE ~= "fill" and MODE ~= "steady" then error("BENCH_MODE must be fill or steady, got " .. MODE) end
local CONNECTION = os.getenv("BENCH_CONNECTION") or "keepalive"
if CONNECTION ~= "new" and CONNECTION ~= "keepalive" then error("BENCH_CONNECTION must be new or keepalive, got " .. CONNECTION) end
local UA = os.getenv("BENCH_UA")
if UA == nil or UA == "" then UA = "Transmission/3.00" end
local THREADS = env_number("BENCH_THREADS", 1)
local USERS = env_number("BENCH_USERS", 10000)
local TORRENTS = env_number("BENCH_TORRENTS", 10000)
local PEERS = env_number("BENCH_PEERS", 20)
local SEEDER_PCT = env_number("BENCH_SEEDER_PCT", 50)
local NUMWANT = 50
local SLOTS = TORRENTS * PEERS
local TWO32 = 4294967296
if SLOTS < 1 or USERS < 1 or THREADS < 1 then error("BENCH_TORRENTS, BENCH_PEERS, BENCH_USERS and BENCH_THREADS must be at least 1") end

-- (x * m) mod 2^32, exact in doubles: x*m would lose bits past 2^53, so m is split in 16-bit halves
local function mul32(x, m)
  x = x % TWO32
  local hi = math.floor(m / 65536)
  local lo = m % 65536
  return (((x * hi) % 65536) * 65536 + x * lo) % TWO32
end

local function word(x, m)
  return string.format("%08x", mul32(x, m))
end

local function gcd(a, b)
  while b ~= 0 do a, b = b, a % b end
  return a
end

local STRIDE = math.floor(SLOTS * 0.6180339887)
while gcd(STRIDE, SLOTS) ~= 1 do STRIDE = STRIDE + 1 end

local function passkey(u)
  return word(u, 2654435761) .. word(u, 2246822519) .. word(u, 3266489917) .. word(u, 668265263)
end

-- every byte as %xx (valid percent-encoding; nothing left literal)
local function info_hash_pct(t)
  local hex = word(t, 2166136261) .. word(t, 16777619) .. word(t, 1540483477) .. word(t, 3432918353) .. word(t, 461845907)
  return (hex:gsub("..", "%%%0"))
end

-- a monotonic clock in seconds (LuaJIT's ffi), for the active time; os.time() if there is none
local now
do
  local ok, ffi = pcall(require, "ffi")
  if ok then
    ffi.cdef("typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int clk, bench_timespec *tp);")
    local tp = ffi.new("bench_timespec")
    now = function()
      ffi.C.clock_gettime(1, tp) -- CLOCK_MONOTONIC
      return tonumber(tp.tv_sec) + tonumber(tp.tv_nsec) * 1e-9
    end
  else
    now = os.time
  end
end

-- main state: one entry per thread, to read their counters in done()
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- thread state (id is set by setup before init runs)
local passkeys, hashes, host, tail
local n = 0          -- requests built (and sent)
local reserved = 0   -- fill: requests granted by delay()
local share = 0      -- fill: this thread's number of slots
local verifying = false
responses = 0
non200 = 0
failure = 0
no_peers = 0
first_at = -1
last_at = -1

function init(args)
  passkeys = {}
  for u = 1, USERS do passkeys[u] = passkey(u) end
  hashes = {}
  for t = 1, TORRENTS do hashes[t] = info_hash_pct(t) end
  host = wrk.headers["Host"]
  tail = " HTTP/1.1\r\nHost: " .. host .. "\r\nUser-Agent: " .. UA .. "\r\n" ..
    (CONNECTION == "new" and "Connection: close\r\n" or "") .. "\r\n"
  if id < SLOTS then share = math.floor((SLOTS - id - 1) / THREADS) + 1 end
  -- wrk calls request() once on thread 0 before the run, only to check it parses: not sent
  verifying = (id == 0)
end

local function slot_of(g)
  return ((g % SLOTS) * STRIDE + 12345) % SLOTS
end

local function announce(s)
  local t = s % TORRENTS + 1
  local k = math.floor(s / TORRENTS)
  local u = (mul32(s, 2654435761) + 7) % TWO32 % USERS + 1
  local seeder = math.floor(mul32(s, 2246822519) / 65536) % 100 < SEEDER_PCT
  local port = 10000 + 1000 * (k % 50) + t % 1000
  local ts = os.time() - 1700000000
  local up, down, left
  if seeder then
    up, down, left = ts * 4096, 0, 0
  else
    up, down, left = ts * 1024, ts * 4096, 536870912
  end
  return string.format("GET /%s/announce?info_hash=%s&peer_id=-TR3000-%012d&port=%d&uploaded=%d&downloaded=%d&left=%d%s&numwant=%d&compact=1",
    passkeys[u], hashes[t], s, port, up, down, left, MODE == "fill" and "&event=started" or "", NUMWANT) .. tail
end

function request()
  if verifying then
    verifying = false
    return announce(slot_of(id))
  end
  local g
  if MODE == "fill" and n >= share then
    -- only after a socket error (wrk resends without asking delay()): repeat the last slot
    g = (share - 1) * THREADS + id
  else
    g = n * THREADS + id
  end
  n = n + 1
  if first_at < 0 then first_at = now() end
  return announce(slot_of(g))
end

if MODE == "fill" then
  -- called before every request: grants one of this thread's share, or parks the connection
  function delay()
    if reserved < share then
      reserved = reserved + 1
      return 0
    end
    if share == 0 then
      io.write("BENCH_THREAD_DONE " .. id .. "\n")
      io.flush()
      wrk.thread:stop()
    end
    return 86400000
  end
end

function response(status, headers, body)
  responses = responses + 1
  last_at = now()
  if status ~= 200 then non200 = non200 + 1 end
  if body:find("failure", 1, true) then failure = failure + 1 end
  if status == 200 and not body:find("5:peers", 1, true) then no_peers = no_peers + 1 end
  if MODE == "fill" and responses == share then
    io.write("BENCH_THREAD_DONE " .. id .. "\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first, last = -1, -1
  local c = { responses = 0, non200 = 0, failure = 0, no_peers = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(c) do c[name] = c[name] + (thread:get(name) or 0) end
    local f, l = thread:get("first_at") or -1, thread:get("last_at") or -1
    if f >= 0 and (first < 0 or f < first) then first = f end
    if l > last then last = l end
  end
  -- the active time: first request sent to last response, over every thread
  local duration = (first >= 0 and last > first) and (last - first) or (summary.duration / 1e6)
  local ms = function(us) return string.format("%.3f", us / 1000) end
  local e = summary.errors
  io.write("BENCH_JSON {",
    string.format('"mode":"%s","connection":"%s","threads":%d,"threadsSeen":%d,', MODE, CONNECTION, THREADS, #threads),
    string.format('"slots":%d,"users":%d,"torrents":%d,"peers":%d,"seederPct":%d,', SLOTS, USERS, TORRENTS, PEERS, SEEDER_PCT),
    string.format('"requests":%d,"responses":%d,"duration":%.3f,"rps":%.1f,', summary.requests, c.responses, duration, summary.requests / duration),
    '"p50":', ms(latency:percentile(50)), ',"p90":', ms(latency:percentile(90)), ',"p99":', ms(latency:percentile(99)),
    ',"p999":', ms(latency:percentile(99.9)), ',"max":', ms(latency.max), ',',
    string.format('"non200":%d,"failure":%d,"noPeers":%d,', c.non200, c.failure, c.no_peers),
    string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}', e.connect, e.read, e.write, e.status, e.timeout),
    "}\n")
  io.flush()
end
