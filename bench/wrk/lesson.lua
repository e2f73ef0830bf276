-- wrk script: GET one lesson page as many logged-in students in turn.
-- Usage: wrk -t T -c C -d D --latency -s lesson.lua URL -- USERS_FILE PATH T
-- USERS_FILE has one "session_key<TAB>csrf_secret<TAB>token" line per student; each wrk
-- thread takes every T-th student and sends that student's session and CSRF cookies, as the
-- student's browser would.

local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

local cookies = {}
local path = "/"
local counter = 0

function init(args)
  local users_file, threads = args[1], tonumber(args[3])
  path = args[2]
  local index = 0
  for line in io.lines(users_file) do
    local session, csrf = line:match("^([^\t]+)\t([^\t]+)\t")
    if index % threads == thread_id then
      cookies[#cookies + 1] = "sessionid=" .. session .. "; csrftoken=" .. csrf
    end
    index = index + 1
  end
  if #cookies == 0 then
    error("no students for wrk thread " .. thread_id)
  end
end

function request()
  counter = counter % #cookies + 1
  return wrk.format("GET", path, { ["Cookie"] = cookies[counter] })
end

dofile(os.getenv("WRK_REPORT_LUA"))
