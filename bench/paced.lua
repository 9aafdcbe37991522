-- wrk: each connection waits WRK_DELAY_MS after an answer before asking again, so 64 connections offer a
-- steady load (64 / (delay + latency) requests per second) instead of as much as the server can take.
local wait = tonumber(os.getenv("WRK_DELAY_MS") or "63")
function delay()
  return wait
end
