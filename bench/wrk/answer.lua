-- wrk script: POST answers to the REST API as many students (token auth) in turn.
-- Usage: wrk -t T -c C -d D --latency -s answer.lua URL -- USERS_FILE QUESTIONS_FILE T
-- QUESTIONS_FILE has one "question_id<TAB>json body" line per question. Request k of a
-- thread goes to student k mod n and question (k div n) mod q, so each student's attempts
-- at each question are spread out and attempt limits are not reached.

local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

local tokens = {}
local questions = {}
local counter = 0

function init(args)
  local users_file, questions_file, threads = args[1], args[2], tonumber(args[3])
  local index = 0
  for line in io.lines(users_file) do
    local token = line:match("\t([^\t]+)$")
    if index % threads == thread_id then
      tokens[#tokens + 1] = "Token " .. token
    end
    index = index + 1
  end
  for line in io.lines(questions_file) do
    local id, body = line:match("^(%d+)\t(.+)$")
    questions[#questions + 1] = { path = "/api/v1/questions/" .. id .. "/answers/", body = body }
  end
  if #tokens == 0 or #questions == 0 then
    error("no students or no questions for wrk thread " .. thread_id)
  end
end

function request()
  local user = counter % #tokens + 1
  local question = questions[math.floor(counter / #tokens) % #questions + 1]
  counter = counter + 1
  return wrk.format("POST", question.path, {
    ["Authorization"] = tokens[user],
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, question.body)
end

dofile(os.getenv("WRK_REPORT_LUA"))
