-- wrk script for `./x bench server`. Arguments after `--`: MODE [TAG]
--   get            plain GETs of the URL given to wrk (headers from -H)
--   invite TAG     POST /v1/invites with a unique e-mail per request (TAG makes runs unique)
-- At the end prints one line `BENCH_JSON {...}`: counts, errors and latency percentiles (µs).

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local mode, tag, counter, headers = "get", "t", 0, nil

function init(args)
  mode = args[1] or "get"
  tag = args[2] or "t"
  headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
end

function request()
  if mode ~= "invite" then
    return wrk.request()
  end
  counter = counter + 1
  local body = string.format('{"email":"wrk-%s-%d-%d@bench.example","role":"member"}', tag, tid, counter)
  return wrk.format("POST", "/v1/invites", headers, body)
end

local PCTS = {1, 5, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9}

function done(summary, latency, requests)
  local curve = {}
  for _, p in ipairs(PCTS) do
    table.insert(curve, string.format("[%g,%d]", p, latency:percentile(p)))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f},"curve":[%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev, table.concat(curve, ",")))
end
