-- wrk script: GET /api/v1/objects/{id} over a list of ids (one path per line in $IDS), with the
-- bearer token in $TOKEN. Each wrk thread walks the list from its own offset.
local paths = {}
for line in io.lines(os.getenv("IDS")) do paths[#paths + 1] = line end
local header = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
local i = math.random(1, #paths)
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], header)
end
