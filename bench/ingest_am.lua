-- wrk script: Alertmanager webhook posts of WR_BATCH (default 100) new alerts each. Env: WR_PATH.
local counter = 0
local threads = {}
local path = os.getenv("WR_PATH")
local batch = tonumber(os.getenv("WR_BATCH") or "100")

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 104729 + os.time())
end

request = function()
  counter = counter + 1
  local run = math.random(1000000000)
  local parts = {}
  for i = 1, batch do
    local fp = "fp-" .. tid .. "-" .. counter .. "-" .. i .. "-" .. run
    parts[i] = '{"status":"firing","labels":{"alertname":"NodeDown","instance":"node-' .. i ..
      '","severity":"critical","job":"node"},"annotations":{"summary":"node-' .. i .. ' is down"},' ..
      '"startsAt":"2026-11-27T09:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/g",' ..
      '"fingerprint":"' .. fp .. '"}'
  end
  local body = '{"version":"4","groupKey":"{}:{alertname=\\"NodeDown\\"}","truncatedAlerts":0,"status":"firing",' ..
    '"receiver":"warroom","groupLabels":{"alertname":"NodeDown"},"commonLabels":{},"commonAnnotations":{},' ..
    '"externalURL":"http://am","alerts":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  local s = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n', summary.requests, summary.duration, s.status,
    s.connect + s.read + s.write + s.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
