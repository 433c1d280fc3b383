-- wrk script: PagerDuty Events v2 triggers. Env: WR_KEY (routing key), WR_MODE = dup (1,000 keys) | new.
local counter = 0
local threads = {}
local key = os.getenv("WR_KEY")
local mode = os.getenv("WR_MODE") or "dup"

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919 + os.time())
end

request = function()
  counter = counter + 1
  local dedup
  if mode == "dup" then
    dedup = "dup-" .. math.random(1000)
  else
    dedup = "new-" .. tid .. "-" .. counter .. "-" .. math.random(1000000000)
  end
  local body = '{"routing_key":"' .. key .. '","event_action":"trigger","dedup_key":"' .. dedup ..
    '","payload":{"summary":"checkout latency high on ' .. dedup .. '","source":"web-' .. (counter % 50) ..
    '","severity":"error","group":"checkout","custom_details":{"region":"eu-west-1","pod":"p' .. (counter % 97) .. '"}}}'
  return wrk.format("POST", "/v2/enqueue", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  local s = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n', summary.requests, summary.duration, s.status,
    s.connect + s.read + s.write + s.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
