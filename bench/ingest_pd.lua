-- wrk script: PagerDuty Events v2 triggers. Env: WR_KEY (routing key), WR_MODE = dup (1,000 keys) | new.
dofile(os.getenv("WR_BENCH_DIR") .. "/wrk_common.lua")
local counter = 0
local key = os.getenv("WR_KEY")
local mode = os.getenv("WR_MODE") or "dup"

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
