-- wrk script: Alertmanager webhook posts of WR_BATCH (default 100) new alerts each. Env: WR_PATH.
dofile(os.getenv("WR_BENCH_DIR") .. "/wrk_common.lua")
local counter = 0
local path = os.getenv("WR_PATH")
local batch = tonumber(os.getenv("WR_BATCH") or "100")

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
