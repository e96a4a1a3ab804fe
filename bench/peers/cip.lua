-- What a platform team would write instead of cipgate: Envoy's Lua filter with the default
-- policy's completeness and restricted-jurisdiction checks (the subset in README.md, the same
-- as cip.rego and cip.cel). Envoy's Lua has no JSON library, so a small decoder is part of the
-- filter: it reads the whole document (objects, arrays, strings with escapes, numbers,
-- literals) rather than pattern-matching the text, which a client could fool.
-- Answers 422 (incomplete) or 403 (deny) with the rule ids; lets everything else through.

local byte, sub, find = string.byte, string.sub, string.find
local concat = table.concat

local decode_value

local function skip(s, i)
  local _, e = find(s, "^[ \t\r\n]*", i)
  return e + 1
end

local escapes = { [98] = "\b", [102] = "\f", [110] = "\n", [114] = "\r", [116] = "\t",
                  [34] = '"', [92] = "\\", [47] = "/" }

local function utf8(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
  return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function decode_string(s, i)
  -- i points after the opening quote
  local parts, n = nil, 0
  local start = i
  while true do
    local j = find(s, '["\\]', i)
    if not j then error("unterminated string") end
    if byte(s, j) == 34 then
      if not parts then return sub(s, start, j - 1), j + 1 end
      n = n + 1; parts[n] = sub(s, start, j - 1)
      return concat(parts), j + 1
    end
    parts = parts or {}
    n = n + 1; parts[n] = sub(s, start, j - 1)
    local c = byte(s, j + 1)
    if c == 117 then
      local cp = tonumber(sub(s, j + 2, j + 5), 16)
      if not cp then error("bad \\u escape") end
      n = n + 1; parts[n] = utf8(cp)
      i = j + 6
    else
      local e = escapes[c]
      if not e then error("bad escape") end
      n = n + 1; parts[n] = e
      i = j + 2
    end
    start = i
  end
end

local function decode_object(s, i)
  local obj = {}
  i = skip(s, i)
  if byte(s, i) == 125 then return obj, i + 1 end
  while true do
    if byte(s, i) ~= 34 then error("expected a key") end
    local key
    key, i = decode_string(s, i + 1)
    i = skip(s, i)
    if byte(s, i) ~= 58 then error("expected ':'") end
    obj[key], i = decode_value(s, skip(s, i + 1))
    i = skip(s, i)
    local c = byte(s, i)
    if c == 125 then return obj, i + 1 end
    if c ~= 44 then error("expected ',' or '}'") end
    i = skip(s, i + 1)
  end
end

local function decode_array(s, i)
  local arr, n = {}, 0
  i = skip(s, i)
  if byte(s, i) == 93 then return arr, i + 1 end
  while true do
    n = n + 1
    arr[n], i = decode_value(s, i)
    i = skip(s, i)
    local c = byte(s, i)
    if c == 93 then return arr, i + 1 end
    if c ~= 44 then error("expected ',' or ']'") end
    i = skip(s, i + 1)
  end
end

local NULL = {}

decode_value = function(s, i)
  local c = byte(s, i)
  if c == 123 then return decode_object(s, i + 1) end
  if c == 91 then return decode_array(s, i + 1) end
  if c == 34 then return decode_string(s, i + 1) end
  if sub(s, i, i + 3) == "true" then return true, i + 4 end
  if sub(s, i, i + 4) == "false" then return false, i + 5 end
  if sub(s, i, i + 3) == "null" then return NULL, i + 4 end
  local _, e = find(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if not e then error("unexpected character") end
  return tonumber(sub(s, i, e)), e + 1
end

local function decode(s)
  local v, i = decode_value(s, skip(s, 1))
  if skip(s, i) <= #s then error("trailing data") end
  return v
end

-- The checks ------------------------------------------------------------------------------

local restricted_jurisdictions = { CU = true, IR = true, KP = true }
local us_and_territories = { US = true, PR = true, GU = true, VI = true, AS = true, MP = true,
                             UM = true }
local restricted_regions = { ["UA-43"] = true, ["UA-40"] = true }
local restricted_calling_codes = { "+53", "+98", "+850" }

local function obj(v) return type(v) == "table" and v ~= NULL and v or nil end
local function present(v) return v ~= nil and v ~= NULL and v ~= "" end

local required_of_everyone = {
  { "name-required", "customer", "legal_name" },
  { "email-required", "customer", "email" },
  { "country-required", "address", "country" },
}

local required_of_foreign_persons = {
  { "phone-required", "customer", "phone" },
  { "street-required", "address", "line1" },
  { "city-required", "address", "city" },
  { "payment-method-required", "payment", "method" },
  { "payment-institution-required", "payment", "institution" },
  { "payment-country-required", "payment", "country" },
  { "payment-reference-required", "payment", "reference" },
}

local function violations(doc)
  local out, n = {}, 0
  local deny = false
  local function fire(id, denies)
    n = n + 1; out[n] = id
    deny = deny or denies
  end
  local sections = {}
  sections.customer = obj(doc.customer) or {}
  sections.address = obj(sections.customer.address) or {}
  sections.payment = obj(doc.payment) or {}
  local customer, address, payment = sections.customer, sections.address, sections.payment
  local reseller = obj(doc.reseller) or {}
  local owners = obj(doc.beneficial_owners) or {}

  if not present(customer.kind) then fire("customer-kind-required") end
  local phone = present(customer.phone) and type(customer.phone) == "string" and customer.phone or nil
  local consistent_us_person = customer.us_person == true
    and us_and_territories[address.country] == true
    and (phone == nil or sub(phone, 1, 2) == "+1")
  local foreign = not consistent_us_person
  for _, r in ipairs(required_of_everyone) do
    if not present(sections[r[2]][r[3]]) then fire(r[1]) end
  end
  if foreign then
    for _, r in ipairs(required_of_foreign_persons) do
      if not present(sections[r[2]][r[3]]) then fire(r[1]) end
    end
    if customer.kind == "organization" and #owners == 0 then fire("beneficial-owner-required") end
    if reseller.is_reseller == true and not present(reseller.cip_reference) then
      fire("reseller-cip-required")
    end
  end
  local missing = {}
  local owner_restricted = false
  for _, owner in ipairs(owners) do
    owner = obj(owner) or {}
    local a = obj(owner.address) or {}
    if not present(owner.legal_name) then missing["owner-name-required"] = true end
    if not present(a.line1) then missing["owner-street-required"] = true end
    if not present(a.city) then missing["owner-city-required"] = true end
    if not present(a.country) then missing["owner-country-required"] = true end
    if restricted_jurisdictions[a.country] then owner_restricted = true end
  end
  for _, id in ipairs({ "owner-name-required", "owner-street-required", "owner-city-required",
                        "owner-country-required" }) do
    if missing[id] then fire(id) end
  end
  if restricted_jurisdictions[address.country] then fire("address-country-restricted", true) end
  if restricted_regions[address.region] then fire("address-region-restricted", true) end
  if restricted_jurisdictions[payment.country] then fire("payment-country-restricted", true) end
  if owner_restricted then fire("owner-country-restricted", true) end
  if phone then
    for _, code in ipairs(restricted_calling_codes) do
      if sub(phone, 1, #code) == code then fire("phone-country-restricted", true) break end
    end
  end
  return out, n, deny
end

function envoy_on_request(handle)
  local method = handle:headers():get(":method")
  if method ~= "POST" and method ~= "PUT" and method ~= "PATCH" then return end
  local body = handle:body()
  local text = body and body:getBytes(0, body:length()) or ""
  local ok, doc = pcall(decode, text)
  if not ok or type(doc) ~= "table" or doc == NULL then
    handle:respond({ [":status"] = "400", ["content-type"] = "application/json" },
      '{"outcome":"reject","rules":["document.malformed"]}')
    return
  end
  local ids, n, deny = violations(doc)
  if n > 0 then
    local outcome, status = "incomplete", "422"
    if deny then outcome, status = "deny", "403" end
    handle:respond({ [":status"] = status, ["content-type"] = "application/json" },
      '{"outcome":"' .. outcome .. '","rules":["' .. concat(ids, '","') .. '"]}')
  end
end
