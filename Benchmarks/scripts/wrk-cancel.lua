-- wrk script: GET /offers/{id}/cancel with a new well-formed UUID per request,
-- so every request takes the market's full cancel path (a 200 with the whole offer).
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

request = function()
  counter = counter + 1
  local id = string.format("%08x-0000-4000-8000-%012x", thread_id, counter)
  return wrk.format("GET", "/offers/" .. id .. "/cancel", { ["Authorization"] = "Bearer mock-token" })
end
