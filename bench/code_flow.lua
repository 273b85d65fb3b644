-- The full OpenID Connect authorization code flow under load, as wrk requests:
--   GET /o/authorize/ with a signed-in session (consent remembered) -> 302 with a code,
--   POST /o/token/ with that code, the PKCE verifier and the client's secret -> tokens + ID token.
-- Every authorize reply queues its code; the next request, on any connection, redeems it.
-- Arguments (after `--`): authorize path, Cookie header, token form without the code, Basic auth.
local codes = {}
local authorize, cookie, token_form, client_auth

function init(args)
  authorize, cookie, token_form, client_auth = args[1], args[2], args[3], args[4]
end

function request()
  local code = table.remove(codes)
  if code then
    return wrk.format("POST", "/o/token/", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = client_auth,
    }, token_form .. "&code=" .. code)
  end
  return wrk.format("GET", authorize, { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status == 302 then
    local location = headers["location"] or headers["Location"] or ""
    local code = location:match("[?&]code=([^&]+)")
    if code then
      table.insert(codes, code)
    end
  end
end
