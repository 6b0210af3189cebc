# vnorm.jq: the jq side of the vnorm benchmark (tests/bench/vnorm.sh).
#
#   jq -c -f tests/bench/vnorm.jq < raw.ndjson > normalized.ndjson
#
# The reshaping of vnorm(1) in 1:1 mode, for the messages
# the simulator sends: canonical keys (camelCase -> snake_case, VIN -> vin,
# _id_ -> device_id, the alias table), kind from name, signal name/value into
# its field, value coercion (numeric strings, boolean words, gear word <->
# transmission_gear), timestamps to YYYY-MM-DDTHH:MM:SS.mmmZ, a
# latitude/longitude pair or a location container to location {lat, lon}, the
# fixed key order of vnorm(1) "Output", unknown keys under extra, and the main
# rejects (written to stderr as reject records, nothing on stdout).
#
# It is written to be as fast as plain jq allows, so the ratio it gives is a
# fair one: fast paths for the exact shapes the simulators send (v2
# per-signal, location and dtc messages; v3 snapshots with the default
# template) built from type checks, constant tables and string slicing; the
# general path (trip aggregates, renamed keys, anything unusual) does the
# whole key canonicalization, with regular expressions only for keys, numeric
# strings and timestamps outside the simulator's shapes. On
# tests/data/raw-vehicle-sample.ndjson it reproduces all 127 lines of
# expected-normalized-sample.ndjson byte for byte.
# Known differences from vnorm: jq 1.6 parses numbers into doubles, so
# 0.000015 comes out as 1.5e-05, 100.0 as 100, and integers beyond 2^53 lose
# digits; no calendar check; no duplicate-key or UTF-8 handling of its own.

# (Tables are literal constants so that jq 1.6 builds them once; a literal
# -1 is an expression in jq, hence reverse is handled in gear_of.)
def gear_num:
    {"neutral": 0, "first": 1, "second": 2, "third": 3, "fourth": 4,
     "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
     "tenth": 10};

def gear_of: if . == "reverse" then -1 else gear_num[.] end;

def gear_word:
    {"0": "neutral", "1": "first", "2": "second", "3": "third",
     "4": "fourth", "5": "fifth", "6": "sixth", "7": "seventh",
     "8": "eighth", "9": "ninth", "10": "tenth", "-1": "reverse"};

# Canonical key (vnorm(1) "Field names") -> output field.
def alias:
    {"timestamp": "timestamp", "ts": "timestamp", "time": "timestamp",
     "vin": "vin",
     "trip_id": "trip_id", "tripid": "trip_id",
     "device_id": "device_id", "deviceid": "device_id",
     "route_id": "route_id", "routeid": "route_id", "route": "route_id",
     "vehicle_speed": "vehicle_speed", "speed": "vehicle_speed",
     "engine_speed": "engine_speed", "rpm": "engine_speed",
     "engine_rpm": "engine_speed",
     "torque_at_transmission": "torque_at_transmission",
     "torque": "torque_at_transmission",
     "accelerator_pedal_position": "accelerator_pedal_position",
     "accelerator_pedal_pos": "accelerator_pedal_position",
     "accelerator_position": "accelerator_pedal_position",
     "acelerator_position": "accelerator_pedal_position",
     "throttle_position": "accelerator_pedal_position",
     "throttle": "accelerator_pedal_position",
     "brake": "brake", "brake_position": "brake",
     "brake_pedal_position": "brake",
     "brake_pedal_status": "brake_pedal_status",
     "parking_brake_status": "parking_brake_status",
     "parking_brake": "parking_brake_status",
     "steering_wheel_angle": "steering_wheel_angle",
     "steering_angle": "steering_wheel_angle",
     "acceleration": "acceleration",
     "transmission_gear_position": "transmission_gear_position",
     "gear_position": "transmission_gear_position",
     "transmission_gear": "transmission_gear",
     "transmission_gear_int": "transmission_gear",
     "gear": "gear",
     "gear_lever_position": "gear_lever_position",
     "gear_lever": "gear_lever_position",
     "ignition_status": "ignition_status", "ignition": "ignition_status",
     "odometer": "odometer", "fuel_level": "fuel_level",
     "fuel_consumed_since_restart": "fuel_consumed_since_restart",
     "fuel_consumed_since_start": "fuel_consumed_since_restart",
     "fuel_consumed": "fuel_consumed_since_restart",
     "oil_temp": "oil_temp", "oil_temperature": "oil_temp",
     "engine_oil_temperature": "oil_temp",
     "latitude": "latitude", "lat": "latitude",
     "longitude": "longitude", "lon": "longitude", "lng": "longitude",
     "long": "longitude",
     "location": "location", "position": "location", "geo": "location",
     "dtc": "dtc", "dtc_code": "dtc",
     "start_time": "start_time", "end_time": "end_time",
     "vehicle_speed_mean": "vehicle_speed_mean",
     "engine_speed_mean": "engine_speed_mean",
     "torque_at_transmission_mean": "torque_at_transmission_mean",
     "oil_temp_mean": "oil_temp_mean",
     "accelerator_pedal_position_mean": "accelerator_pedal_position_mean",
     "brake_mean": "brake_mean",
     "high_speed_duration": "high_speed_duration",
     "idle_duration": "idle_duration",
     "high_acceleration_event": "high_acceleration_event",
     "high_braking_event": "high_braking_event",
     "name": "name", "value": "value", "kind": "kind", "extra": "extra"};

# Raw keys of the v3 simulator (camelCase) -> output field, so that the
# common path does not run the canonicalization regexes.
def camel:
    {"VIN": "vin", "_id_": "device_id", "tripId": "trip_id",
     "vehicleSpeed": "vehicle_speed", "engineSpeed": "engine_speed",
     "torqueAtTransmission": "torque_at_transmission",
     "acceleratorPedalPosition": "accelerator_pedal_position",
     "acceleratorPedalPos": "accelerator_pedal_position",
     "brakePedalStatus": "brake_pedal_status",
     "parkingBrakeStatus": "parking_brake_status",
     "steeringWheelAngle": "steering_wheel_angle",
     "transmissionGearPosition": "transmission_gear_position",
     "gearLeverPosition": "gear_lever_position",
     "ignitionStatus": "ignition_status", "fuelLevel": "fuel_level",
     "fuelConsumedSinceRestart": "fuel_consumed_since_restart",
     "oilTemp": "oil_temp", "startTime": "start_time", "endTime": "end_time",
     "@timestamp": "timestamp", "@metadata": "@metadata"};

# Value class of each output field: n number, b boolean, w lower-cased
# word, v vin, i identifier, t time, g gear word, G gear number, c dtc
# code, l location, a anything (copied).
def class:
    {"vehicle_speed": "n", "engine_speed": "n", "torque_at_transmission": "n",
     "accelerator_pedal_position": "n", "brake": "n", "acceleration": "n",
     "steering_wheel_angle": "n", "odometer": "n", "fuel_level": "n",
     "fuel_consumed_since_restart": "n", "oil_temp": "n",
     "latitude": "n", "longitude": "n",
     "vehicle_speed_mean": "n", "engine_speed_mean": "n",
     "torque_at_transmission_mean": "n", "oil_temp_mean": "n",
     "accelerator_pedal_position_mean": "n", "brake_mean": "n",
     "high_speed_duration": "n", "idle_duration": "n",
     "high_acceleration_event": "n", "high_braking_event": "n",
     "brake_pedal_status": "b", "parking_brake_status": "b",
     "gear_lever_position": "w", "ignition_status": "w",
     "vin": "v", "trip_id": "i", "device_id": "i", "route_id": "i",
     "timestamp": "t", "start_time": "t", "end_time": "t",
     "transmission_gear_position": "g", "transmission_gear": "G",
     "gear": "G", "dtc": "c", "location": "l", "@metadata": "a"};

# The per-signal names of the v2 simulator, for the fast path.
def v2class:
    {"steering_wheel_angle": "n", "torque_at_transmission": "n",
     "engine_speed": "n", "vehicle_speed": "n", "acceleration": "n",
     "accelerator_pedal_position": "n", "parking_brake_status": "b",
     "brake_pedal_status": "b", "transmission_gear_position": "g",
     "gear_lever_position": "w", "odometer": "n", "ignition_status": "w",
     "fuel_level": "n", "fuel_consumed_since_restart": "n", "oil_temp": "n",
     "brake": "n", "location": "L", "dtc": "D"};

# Output key order (vnorm(1) "Output").
def order:
    ["@metadata", "timestamp", "vin", "trip_id", "device_id", "route_id",
     "kind", "vehicle_speed", "engine_speed", "torque_at_transmission",
     "accelerator_pedal_position", "brake", "brake_pedal_status",
     "parking_brake_status", "steering_wheel_angle", "acceleration",
     "transmission_gear_position", "transmission_gear",
     "gear_lever_position", "ignition_status", "odometer", "fuel_level",
     "fuel_consumed_since_restart", "oil_temp", "latitude", "longitude",
     "location", "dtc", "start_time", "end_time", "vehicle_speed_mean",
     "engine_speed_mean", "torque_at_transmission_mean", "oil_temp_mean",
     "accelerator_pedal_position_mean", "brake_mean", "high_speed_duration",
     "idle_duration", "high_acceleration_event", "high_braking_event",
     "extra"];

def ws: . == " " or . == "\t" or . == "\r" or . == "\n";

# Trim ASCII white space (regexes only when there is some).
def trim:
    if length > 0 and ((.[0:1] | ws) or (.[-1:] | ws)) then
        sub("^[ \t\r\n]+"; "") | sub("[ \t\r\n]+$"; "")
    else . end;

# vnorm(1) "Field names", for keys that are not in the tables.
def canon:
    if . == "_id_" then "device_id"
    elif . == "@metadata" then .
    else sub("^@"; "")
        | gsub("(?<a>[a-z0-9])(?<b>[A-Z])"; "\(.a)_\(.b)")
        | gsub("(?<a>[A-Z])(?<b>[A-Z][a-z])"; "\(.a)_\(.b)")
        | ascii_downcase
        | gsub("[^a-z0-9]+"; "_")
        | sub("^_+"; "") | sub("_+$"; "")
    end;

# Input key -> output field ("" when unknown).
def field_of: alias[.] // camel[.] // (canon | alias[.]) // "";

# A signal name (vnorm(1) "Kinds"): like a key, but unknown names stay canonical.
def signal_of: alias[.] // camel[.] // (canon | alias[.] // .);

# Epoch number -> ISO 8601 with milliseconds (unit by magnitude).
def epoch_iso:
    (if . < 1e11 then . * 1000 elif . < 1e14 then .
     elif . < 1e17 then . / 1000 else . / 1000000 end) | floor
    | (. % 1000) as $ms
    | if . >= 4102444800000 then null
      else (. / 1000 | floor | todate | .[0:19])
          + "." + ("00" + ($ms | tostring) | .[-3:]) + "Z" end;

# Timestamp (string or number) -> "YYYY-MM-DDTHH:MM:SS.mmmZ", or null.
def iso:
    if type == "string" then
        if length == 29 and .[10:11] == " " and .[19:20] == "." then
            .[0:10] + "T" + .[11:23] + "Z"
        elif length == 24 and .[10:11] == "T" and .[23:24] == "Z" then .
        elif test("^[ \t]*[0-9][0-9.eE+-]*[ \t]*$") then
            (trim | tonumber? // null)
            | if . == null then null else epoch_iso end
        else
            (capture("^(?<d>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]"
                + "(?<hm>[0-9]{2}:[0-9]{2})(?<s>:[0-9]{2})?"
                + "([.,](?<f>[0-9]{1,9}))?"
                + "(?<z>[Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$") // null)
            | if . == null then null
              else ((.f // "") + "000")[0:3] as $ms
                | (.z // "Z") as $z
                | (if $z == "Z" or $z == "z" then 0
                   else ($z | gsub(":"; "")) as $zz
                     | ($zz[0:1] + "1" | tonumber)
                       * (($zz[1:3] | tonumber) * 3600
                          + (($zz[3:5] | select(. != "") | tonumber) // 0) * 60)
                   end) as $off
                | (.d + "T" + .hm + (.s // ":00") + "Z")
                | (fromdateiso8601? // null)
                | if . == null then null
                  else (. - $off) as $t
                    | if $t < 0 or $t >= 4102444800 then null
                      else ($t | todate | .[0:19]) + "." + $ms + "Z" end
                  end
              end
        end
    elif type == "number" and . >= 0 then epoch_iso
    else null end;

def num:
    if type == "number" then .
    elif type == "string" then trim
        | if test("^-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]+)?$")
          then tonumber else null end
    else null end;

def boolv:
    if type == "boolean" then .
    elif type == "number" then (if . == 1 then true elif . == 0 then false
        else null end)
    elif type == "string" then
        {"true": true, "1": true, "yes": true, "on": true,
         "false": false, "0": false, "no": false, "off": false}
        [trim | ascii_downcase]
    else null end;

def word: if type == "string" then (trim | ascii_downcase
    | if . == "" then null else . end) else null end;

def ident:
    if type == "string" then (if . == "" then null else . end)
    elif type == "number" and . == floor then tostring
    else null end;

# Location container -> {lat, lon}, or null (vnorm(1) "Location").
def loc:
    if type == "object" then
        if .type == "Point" then .coordinates | loc
        else {lat: ((.lat // .latitude) | num),
              lon: ((.lon // .lng // .long // .longitude) | num)} end
    elif type == "array" then {lat: (.[1] | num), lon: (.[0] | num)}
    elif type == "string" then (split(",") | {lat: (.[0] | num),
        lon: (.[1] | num)})
    else null end
    | if . == null or .lat == null or .lon == null
        or .lat < -90 or .lat > 90 or .lon < -180 or .lon > 180
        or (.lat == 0 and .lon == 0) then null
      else . end;

# The output field(s) for value $v of field $f, as an object ({} if the
# value is unusable).
def fields($f; $v):
    class[$f] as $c
    | (if $c == "n" then $v | num
       elif $c == "b" then $v | boolv
       elif $c == "w" then $v | word
       elif $c == "i" then $v | ident
       elif $c == "v" then $v | if type == "string" then trim
           | if . == "" or length > 64 then null else . end else null end
       elif $c == "t" then $v | iso
       elif $c == "c" then $v | if type == "string" then (trim | ascii_upcase
           | if . == "" then null else . end) else null end
       elif $c == "l" then $v | loc
       elif $c == "g" then $v | word
       elif $c == "G" then $v | num
           | if . != null and . == floor and . >= -1 and . <= 10 then .
             else null end
       else $v end) as $x
    | if $x == null then
          if $c == "G" and ($v | type) == "string" then
              fields("transmission_gear_position"; $v)
          else {} end
      elif $c == "g" then
          {($f): $x} + ($x | gear_of as $n
              | if $n == null then {} else {transmission_gear: $n} end)
      elif $c == "G" then
          {transmission_gear: $x,
           transmission_gear_position: gear_word[$x | tostring]}
      else {($f): $x} end;

def reject($reason):
    {error: {tool: "vnorm", reason: $reason, line: input_line_number},
     input: tojson} | stderr | empty;

def emit: . as $d | reduce order[] as $k ({};
    if $d[$k] != null then .[$k] = $d[$k] else . end);

# The general path: any object.
def generic:
    . as $in
    | [keys_unsorted[] | [., field_of]] as $map
    | ([$map[] | select(.[1] == "name") | $in[.[0]]] | last) as $name
    | ([$map[] | select(.[1] == "value")] | length > 0) as $has_value
    | ([$map[] | select(.[1] == "value") | $in[.[0]]] | last) as $value
    | ([$map[] | select(.[1] == "kind") | $in[.[0]]] | last) as $kind_in
    | (reduce ($map[] | select(class[.[1]] != null)) as $m ({};
          . + fields($m[1]; $in[$m[0]]))) as $f0
    | (reduce ($map[] | select(.[1] == "" or (.[1] == "extra"
          and ($in[.[0]] | type) != "object"))) as $m ({};
          .[$m[0]] = $in[$m[0]])
       + ([$map[] | select(.[1] == "extra") | $in[.[0]] | objects]
          | add // {})) as $x0
    | (if $name != null then
          if ($name | type) != "string" then null
          else ($name | signal_of) as $n
            | if $n == "location" then "location" elif $n == "dtc" then "dtc"
              elif $n == "aggregated_telemetrics"
                  or $n == "aggregated_telemetry" then "trip"
              else "telemetry" end
          end
       elif $kind_in == "telemetry" or $kind_in == "location"
           or $kind_in == "dtc" or $kind_in == "trip"
           or $kind_in == "snapshot" then $kind_in
       else "snapshot" end) as $kind
    | if $kind == null then reject("bad signal name")
      else
        ($f0 | if .location == null and .latitude != null
              and .longitude != null then
              ({lat: .latitude, lon: .longitude} | loc) as $l
              | if $l == null then del(.latitude, .longitude)
                else del(.latitude, .longitude) + {location: $l} end
          else . end) as $f
        | (if $kind == "telemetry" and $name != null then
              ($name | signal_of) as $sig
              | if class[$sig] == null then
                    if $has_value then [$f, $x0 + {($name): $value}]
                    else "missing value" end
                elif $has_value | not then "missing value"
                elif $value == null then "null value"
                else fields($sig; $value) as $v
                  | if $v == {} then "bad value" else [$f + $v, $x0] end
                end
           elif $kind == "location" then
              if $f.location != null then [$f, $x0]
              elif $value != null and ($value | loc) != null then
                  [$f + {location: ($value | loc)}, $x0]
              elif $in.latitude == 0 and $in.longitude == 0 then "no GPS fix"
              else "bad location" end
           elif $kind == "dtc" then
              if $f.dtc != null then [$f, $x0]
              else fields("dtc"; $value) as $v
                | if $v == {} then "bad dtc" else [$f + $v, $x0] end
              end
           elif $has_value then [$f, $x0 + {value: $value}]
           else [$f, $x0] end) as $r
        | if ($r | type) == "string" then $in | reject($r)
          elif $r[0].vin == null then $in | reject("missing vin")
          elif $r[0].timestamp == null then $in | reject("bad timestamp")
          elif $kind == "snapshot" and ($r[0] | del(.["@metadata"],
              .timestamp, .vin, .trip_id, .device_id, .route_id, .extra)
              | length) == 0 then $in | reject("no telemetry fields")
          else $r[0] + {kind: $kind}
            + (if $r[1] == {} then {} else {extra: $r[1]} end)
            | emit
          end
      end;

# Fast path: the v2 simulator's exact shapes (per-signal, location, dtc);
# anything else goes the general way.
def fast:
    .timestamp as $t
    | v2class[.name] as $c
    | if ($t | length) == 29 and $t[10:11] == " " and $t[19:20] == "."
        and (.vin | type) == "string" and .vin != ""
        and (.trip_id | type) == "string" and .trip_id != ""
        and $c != null
      then ($t[0:10] + "T" + $t[11:23] + "Z") as $ts
        | (.value | type) as $vt
        | if length == 6 then
              if $c == "L" and (.latitude | type) == "number"
                and (.longitude | type) == "number"
                and .latitude >= -90 and .latitude <= 90
                and .longitude >= -180 and .longitude <= 180
                and (.latitude != 0 or .longitude != 0)
              then {timestamp: $ts, vin: .vin, trip_id: .trip_id,
                    kind: "location",
                    location: {lat: .latitude, lon: .longitude}}
              else generic end
          elif $c == "n" and $vt == "number"
              or $c == "b" and $vt == "boolean"
              or $c == "w" and $vt == "string" and .value != ""
                  and (.value | ascii_downcase | trim) == .value
          then {timestamp: $ts, vin: .vin, trip_id: .trip_id,
                kind: "telemetry", (.name): .value}
          elif $c == "g" and $vt == "string" and (.value | gear_of) != null
          then {timestamp: $ts, vin: .vin, trip_id: .trip_id,
                kind: "telemetry", transmission_gear_position: .value,
                transmission_gear: (.value | gear_of)}
          elif $c == "D" and $vt == "string" and .value != ""
              and (.value | ascii_upcase | trim) == .value
          then {timestamp: $ts, vin: .vin, trip_id: .trip_id, kind: "dtc",
                dtc: .value}
          else generic end
      else generic end;

# Fast path for the v3 simulator's snapshot with its default template.
def v3keys:
    ["timestamp", "trip_id", "VIN", "brake", "steeringWheelAngle",
     "torqueAtTransmission", "engineSpeed", "vehicleSpeed", "acceleration",
     "parkingBrakeStatus", "brakePedalStatus", "transmissionGearPosition",
     "gearLeverPosition", "odometer", "ignitionStatus", "fuelLevel",
     "fuelConsumedSinceRestart", "oilTemp", "location", "_id_"];

def v3fast:
    .timestamp as $t
    | if keys_unsorted == v3keys
        and ($t | type) == "string" and ($t | length) == 29
        and $t[10:11] == " " and $t[19:20] == "."
        and (.VIN | type) == "string" and .VIN != ""
        and (.trip_id | type) == "string" and .trip_id != ""
        and (._id_ | type) == "string" and ._id_ != ""
        and all(.brake, .steeringWheelAngle, .torqueAtTransmission,
            .engineSpeed, .vehicleSpeed, .acceleration, .odometer,
            .fuelLevel, .fuelConsumedSinceRestart, .oilTemp;
            type == "number")
        and (.parkingBrakeStatus | type) == "boolean"
        and (.brakePedalStatus | type) == "boolean"
        and (.transmissionGearPosition | gear_of) != null
        and (.gearLeverPosition | type) == "string"
        and (.gearLeverPosition | ascii_downcase | trim)
            == .gearLeverPosition and .gearLeverPosition != ""
        and (.ignitionStatus | type) == "string"
        and (.ignitionStatus | ascii_downcase | trim) == .ignitionStatus
        and .ignitionStatus != ""
        and (.location | type) == "object"
        and (.location | keys_unsorted) == ["latitude", "longitude"]
        and ({lat: .location.latitude, lon: .location.longitude} | loc)
            != null
      then
        {timestamp: ($t[0:10] + "T" + $t[11:23] + "Z"), vin: .VIN,
         trip_id: .trip_id, device_id: ._id_, kind: "snapshot",
         vehicle_speed: .vehicleSpeed, engine_speed: .engineSpeed,
         torque_at_transmission: .torqueAtTransmission, brake: .brake,
         brake_pedal_status: .brakePedalStatus,
         parking_brake_status: .parkingBrakeStatus,
         steering_wheel_angle: .steeringWheelAngle,
         acceleration: .acceleration,
         transmission_gear_position: .transmissionGearPosition,
         transmission_gear: (.transmissionGearPosition | gear_of),
         gear_lever_position: .gearLeverPosition,
         ignition_status: .ignitionStatus, odometer: .odometer,
         fuel_level: .fuelLevel,
         fuel_consumed_since_restart: .fuelConsumedSinceRestart,
         oil_temp: .oilTemp,
         location: {lat: .location.latitude, lon: .location.longitude}}
      else generic end;

if type != "object" then reject("not a JSON object")
elif (length == 5 or length == 6) and (.name | type) == "string"
    and (.timestamp | type) == "string" then fast
elif has("VIN") and has("_id_") then v3fast
else generic end
