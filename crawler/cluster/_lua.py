"""The Lua scripts of the shared frontier: every step that reads and writes several keys.

Each script gets the crawl's key prefix as ``KEYS[1]`` and builds the other names from it
(:class:`~crawler.cluster._frontier.RedisFrontier` documents them): one Redis server, not
Redis Cluster. Times are the Redis server's (``TIME``), in milliseconds, so the workers'
clocks never need to agree.
"""

from __future__ import annotations

__all__ = ["CLAIM", "FINISH", "FLUSH", "RELEASE", "RENEW", "RESET", "TAKE"]

_PRELUDE = """
local P = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function count(field, n)
  if n ~= 0 then redis.call('HINCRBY', P .. 'count', field, n) end
end
-- put a shard's leased requests back at the head of its queue, oldest first
local function requeue(host)
  local n = 0
  while redis.call('LMOVE', P .. 'p:' .. host, P .. 'q:' .. host, 'RIGHT', 'LEFT') do
    n = n + 1
  end
  if n > 0 then
    count('inflight', -n)
    count('queued', n)
    redis.call('ZINCRBY', P .. 'hostq', n, host)
  end
  return n
end
-- give a shard up; the next owner may not fetch from it before not_before
local function release(host, owner, not_before)
  redis.call('HDEL', P .. 'owner', host)
  redis.call('ZREM', P .. 'leases', host)
  redis.call('SREM', P .. 'held:' .. owner, host)
  redis.call('HSET', P .. 'nb', host, not_before)
  local back = requeue(host)
  if redis.call('LLEN', P .. 'q:' .. host) > 0 then
    redis.call('ZADD', P .. 'free', not_before, host)
  end
  return back
end
"""

#: Buffered pushes and acknowledgements, applied in order. ARGV: worker, then groups
#: ``P host fingerprint front dont_filter data`` and ``A host data``.
#: Returns {added, duplicates, acknowledged}.
FLUSH = (
    _PRELUDE
    + """
local added, dups, acked = 0, 0, 0
local i = 2
while i <= #ARGV do
  local op, host = ARGV[i], ARGV[i + 1]
  if op == 'P' then
    local fresh = redis.call('SADD', P .. 'seen', ARGV[i + 2]) == 1
    if fresh or ARGV[i + 4] == '1' then
      local q = P .. 'q:' .. host
      if ARGV[i + 3] == '1' then
        redis.call('LPUSH', q, ARGV[i + 5])
      else
        redis.call('RPUSH', q, ARGV[i + 5])
      end
      redis.call('SADD', P .. 'hosts', host)
      redis.call('ZINCRBY', P .. 'hostq', 1, host)
      count('queued', 1)
      count('pushed', 1)
      if redis.call('HEXISTS', P .. 'owner', host) == 0 then
        local nb = tonumber(redis.call('HGET', P .. 'nb', host) or '0')
        redis.call('ZADD', P .. 'free', 'NX', math.max(now, nb), host)
      end
      added = added + 1
    else
      dups = dups + 1
    end
    i = i + 6
  else
    if redis.call('LREM', P .. 'p:' .. host, 1, ARGV[i + 2]) == 1 then
      count('inflight', -1)
      count('done', 1)
      acked = acked + 1
    end
    i = i + 3
  end
end
return {added, dups, acked}
"""
)

#: Lease up to ARGV[3] requests of shard ARGV[2] to worker ARGV[1] (queue -> processing
#: list). An empty shard with nothing leased is released (not before now + ARGV[4] ms).
#: Returns {'ok', data...}, {'empty'}, {'released'} or {'lost'} (not the owner any more).
TAKE = (
    _PRELUDE
    + """
local me, host, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('HGET', P .. 'owner', host) ~= me then return {'lost'} end
local out = {'ok'}
for _ = 1, n do
  local data = redis.call('LMOVE', P .. 'q:' .. host, P .. 'p:' .. host, 'LEFT', 'RIGHT')
  if not data then break end
  out[#out + 1] = data
end
local taken = #out - 1
if taken > 0 then
  count('queued', -taken)
  count('inflight', taken)
  redis.call('ZINCRBY', P .. 'hostq', -taken, host)
  return out
end
if redis.call('LLEN', P .. 'p:' .. host) == 0 then
  release(host, me, now + tonumber(ARGV[4]))
  return {'released'}
end
return {'empty'}
"""
)

#: Release shard ARGV[2] held by worker ARGV[1]: its leased requests go back to its queue,
#: the next owner waits ARGV[3] ms. Returns the number of requests put back, -1 if not held.
RELEASE = (
    _PRELUDE
    + """
if redis.call('HGET', P .. 'owner', ARGV[2]) ~= ARGV[1] then return -1 end
return release(ARGV[2], ARGV[1], now + tonumber(ARGV[3]))
"""
)

#: Take over the shards whose lease expired (their leased requests queued again), forget
#: workers silent for longer than a lease, then give worker ARGV[1] up to ARGV[3] free
#: shards, no more than its fair share (shards with work / live workers, rounded up).
#: ARGV[2]: lease in ms. Returns {claimed hosts, {host, old owner, requeued}...}.
CLAIM = (
    _PRELUDE
    + """
local me, lease = ARGV[1], tonumber(ARGV[2])
local taken = {}
for _, host in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now)) do
  local old = redis.call('HGET', P .. 'owner', host) or ''
  local back = release(host, old, now)
  count('takeovers', 1)
  taken[#taken + 1] = {host, old, back}
end
for _, worker in ipairs(redis.call('ZRANGEBYSCORE', P .. 'alive', '-inf', now - lease)) do
  redis.call('ZREM', P .. 'alive', worker)
  redis.call('HDEL', P .. 'workers', worker)
  redis.call('DEL', P .. 'held:' .. worker)
end
local alive = math.max(1, redis.call('ZCARD', P .. 'alive'))
local active = redis.call('ZCARD', P .. 'free') + redis.call('HLEN', P .. 'owner')
local held = redis.call('SCARD', P .. 'held:' .. me)
local want = math.min(math.ceil(active / alive) - held, tonumber(ARGV[3]))
local got = {}
if want > 0 then
  for _, host in ipairs(redis.call('ZRANGEBYSCORE', P .. 'free', '-inf', now, 'LIMIT', 0, want)) do
    redis.call('ZREM', P .. 'free', host)
    redis.call('HSET', P .. 'owner', host, me)
    redis.call('ZADD', P .. 'leases', now + lease, host)
    redis.call('SADD', P .. 'held:' .. me, host)
    got[#got + 1] = host
  end
end
return {got, taken}
"""
)

#: Heartbeat of worker ARGV[1]: its registration (ARGV[3], JSON) and the leases of the
#: shards it holds, ARGV[4...], renewed for ARGV[2] ms. Returns {lost shards, live workers,
#: shards with work, queued, in flight, size of the crawl's scope, shards held that it did
#: not name (a claim whose answer it never had)}.
RENEW = (
    _PRELUDE
    + """
local me, lease = ARGV[1], tonumber(ARGV[2])
redis.call('ZADD', P .. 'alive', now, me)
redis.call('HSET', P .. 'workers', me, ARGV[3])
local lost, named, unknown = {}, {}, {}
for i = 4, #ARGV do
  named[ARGV[i]] = true
  if redis.call('HGET', P .. 'owner', ARGV[i]) == me then
    redis.call('ZADD', P .. 'leases', 'XX', now + lease, ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
for _, host in ipairs(redis.call('SMEMBERS', P .. 'held:' .. me)) do
  if not named[host] and redis.call('HGET', P .. 'owner', host) == me then
    redis.call('ZADD', P .. 'leases', 'XX', now + lease, host)
    unknown[#unknown + 1] = host
  end
end
local active = redis.call('ZCARD', P .. 'free') + redis.call('HLEN', P .. 'owner')
local c = redis.call('HMGET', P .. 'count', 'queued', 'inflight')
return {lost, redis.call('ZCARD', P .. 'alive'), active, tonumber(c[1] or '0'),
        tonumber(c[2] or '0'),
        redis.call('SCARD', P .. 'domains') + redis.call('SCARD', P .. 'seedhosts'), unknown}
"""
)

#: The crawl is finished when nothing is queued or leased in any shard, and it has begun
#: (something was pushed, or ARGV[1] is '1': the asking worker's seeds are all handled):
#: then the flag is set (every worker reads it and stops) and 1 returned; else 0.
FINISH = (
    _PRELUDE
    + """
if redis.call('EXISTS', P .. 'finished') == 1 then return 1 end
local c = redis.call('HMGET', P .. 'count', 'queued', 'inflight', 'pushed')
if tonumber(c[1] or '0') > 0 or tonumber(c[2] or '0') > 0 then return 0 end
if tonumber(c[3] or '0') == 0 and ARGV[1] ~= '1' then return 0 end
for _, host in ipairs(redis.call('SMEMBERS', P .. 'hosts')) do
  if redis.call('LLEN', P .. 'q:' .. host) + redis.call('LLEN', P .. 'p:' .. host) > 0 then
    return 0
  end
end
redis.call('SET', P .. 'finished', now)
return 1
"""
)

#: A crawl that finished more than ARGV[1] ms ago is cleared, so that the next crawl of the
#: collection starts afresh (the workers' registrations stay). Returns 1 if it was cleared,
#: 0 if it had not finished, -1 if it finished too recently (a late worker of that crawl).
RESET = (
    _PRELUDE
    + """
local finished = redis.call('GET', P .. 'finished')
if not finished then return 0 end
if now - tonumber(finished) < tonumber(ARGV[1]) then return -1 end
for _, host in ipairs(redis.call('SMEMBERS', P .. 'hosts')) do
  redis.call('DEL', P .. 'q:' .. host, P .. 'p:' .. host)
end
for _, worker in ipairs(redis.call('HKEYS', P .. 'workers')) do
  redis.call('DEL', P .. 'held:' .. worker)
end
redis.call('DEL', P .. 'seen', P .. 'domains', P .. 'seedhosts', P .. 'hosts', P .. 'hostq',
           P .. 'free', P .. 'owner', P .. 'leases', P .. 'nb', P .. 'count', P .. 'finished')
return 1
"""
)
