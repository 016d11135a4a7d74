-- wrk script of the side-by-side benchmark (scripts/bench_compare.py).
-- Its argument is a file of requests, one per line: "METHOD PATH [BODY]".
-- Each wrk thread goes through the list from its own offset. At the end it
-- prints one line of JSON: requests, seconds, errors, latency percentiles (ms).

local requests = {}
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%S+) (%S+) ?(.*)$")
    if body == "" then body = nil end
    table.insert(requests, {method, path, body})
  end
  index = offset or 0
end

function request()
  index = index % #requests + 1
  local r = requests[index]
  return wrk.format(r[1], r[2], nil, r[3])
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "bad_status": %d, ' ..
    '"socket_errors": %d, "p50": %.3f, "p90": %.3f, "p95": %.3f, ' ..
    '"p99": %.3f, "max": %.3f}\n',
    summary.requests, summary.duration / 1e6, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3))
end
