#!/usr/bin/env python3
"""Generate raw vehicle-simulator messages for the vnorm benchmark.

Usage: gen-raw.py [-n LINES] [--seed N] [--vehicles N] [--v3-share F]
                  > raw.ndjson

Writes exactly LINES NDJSON payloads shaped like AWS IoT Device Simulator
output (the wire formats of vsim(1)): per vehicle and 2 s tick the 16
per-signal messages and one location message (v2.x), trip aggregates on the
first tick, every 90 s and at the end of the route (17-digit doubles, ISO
start_time/end_time, geojson pointer), a rare DTC (at most one per trip on
routes with a DTC trigger), and a share of v3.x devices sending one camelCase
snapshot per second (VIN, nested location, _id_). Vehicles run concurrently
with their own tick phase; trips end, and the vehicle restarts with a new
trip id (or a new VIN). Number text follows JavaScript's formatting.

The model is a simplified port of the simulator's dynamics (pedal, gears,
engine speed, torque, oil temperature, fuel, odometer, route stages), enough
for realistic values and message sizes. Deterministic for a given seed.
Python 3 standard library only.
"""

import argparse
import math
import random
import sys
import time
from decimal import Decimal

START_MS = 1560596400000  # 2019-06-15 11:00:00 UTC
TICK_MS = 2000
STEP_MS = 500
TRIP_EVERY_MS = 90000

# id, km, stages, dtc triggers, brake triggers, oiltemp triggers, aggressive
ROUTES = [
    ("route-b", 2.15, 102, 1, 1, 1, False),
    ("route-c", 7.02, 159, 0, 0, 0, False),
    ("route-d", 46.75, 1091, 0, 1, 0, False),
    ("route-e", 46.48, 1133, 1, 1, 0, False),
    ("route-f", 46.48, 1133, 1, 3, 0, False),
    ("route-g", 46.75, 1091, 0, 4, 0, True),
    ("route-h", 5.54, 323, 0, 0, 0, False),
    ("route-i", 24.20, 766, 1, 5, 0, False),
    ("route-j", 23.27, 552, 0, 4, 0, True),
    ("route-k", 11.84, 232, 0, 7, 1, True),
    ("route-l", 22.65, 399, 0, 5, 0, True),
    ("route-m", 12.46, 611, 1, 7, 0, True),
    ("route-n", 15.79, 420, 0, 0, 0, False),
    ("route-o", 32.18, 548, 1, 6, 0, True),
    ("route-p", 2.38, 146, 0, 1, 0, True),
    ("route-q", 6.93, 166, 0, 1, 0, True),
]

SIGNALS = [
    "steering_wheel_angle", "torque_at_transmission", "engine_speed",
    "vehicle_speed", "acceleration", "accelerator_pedal_position",
    "parking_brake_status", "brake_pedal_status",
    "transmission_gear_position", "gear_lever_position", "odometer",
    "ignition_status", "fuel_level", "fuel_consumed_since_restart",
    "oil_temp", "brake",
]
GEARS = ["neutral", "first", "second", "third", "fourth", "fifth", "sixth"]
UP = [0, 25, 50, 75, 100, 125]     # shift up from gear g above UP[g]
DOWN = [0, 0, 20, 45, 70, 95, 120]  # shift down from gear g below DOWN[g]
DTC_FAMILIES = ["P0"] * 483 + ["P1"] * 655 + ["B1"] * 780 + ["B2"] * 367 \
    + ["C1"] * 486 + ["C2"] + ["U1"] * 272 + ["U2"] * 27
VIN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NANOID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "abcdefghijklmnopqrstuvwxyz" \
    "0123456789_-"
BUCKET = "iotsim-iotsimdatabucket-1q2w3e4r5t6y"


def js_num(x):
    """A float as JavaScript's JSON.stringify writes it."""
    if x != x or x in (math.inf, -math.inf):
        return "null"
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    r = repr(x)
    if "e" in r and abs(x) >= 1e-6:
        r = format(Decimal(r), "f")
    elif "e" in r:
        m, e = r.split("e")
        r = m + "e" + ("-" if e[0] == "-" else "+") + e.lstrip("+-").lstrip("0")
    return r


def js_round(x, k):
    """The simulator's Number(Math.round(x + 'e' + k) + 'e-' + k) as text.

    Values whose text would be in exponent form give NaN (null) in the
    simulator; they are written as 0 here so that every generated line is
    valid input (a null value is a reject, which is not what we measure).
    """
    if x != 0 and abs(x) < 1e-6:
        return "0"
    return js_num(math.floor(x * 10 ** k + 0.5) / 10 ** k)


_ts_cache = {}


def sim_ts(ms):
    """Epoch ms -> the simulator's "YYYY-MM-DD HH:MM:SS.mmm000000"."""
    s, frac = divmod(ms, 1000)
    base = _ts_cache.get(s)
    if base is None:
        if len(_ts_cache) > 4096:
            _ts_cache.clear()
        base = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s))
        _ts_cache[s] = base
    return "%s.%03d000000" % (base, frac)


def iso_ts(ms):
    s, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % frac


class Route:
    def __init__(self, rng, spec):
        (self.id, self.km, self.nstages, self.ndtc, self.nbrake, self.noil,
         self.aggressive) = spec
        if self.id == "route-b":  # Toronto
            lat, lon = 43.6532 + rng.uniform(-0.02, 0.02), \
                -79.3832 + rng.uniform(-0.02, 0.02)
        else:
            lat, lon = rng.uniform(38.80, 39.02), rng.uniform(-77.45, -76.93)
        step_km = self.km / self.nstages
        heading = rng.uniform(0, 2 * math.pi)
        pts = []
        for _ in range(self.nstages + 1):
            pts.append((round(lat, 6), round(lon, 6)))
            heading += rng.gauss(0, 0.25)
            lat += step_km * math.cos(heading) / 111.0
            lon += step_km * math.sin(heading) / (111.0 * math.cos(
                math.radians(lat)))
        self.points = pts
        self.stage_km = step_km


class Vehicle:
    """One simulated vehicle: the dynamics model and its message state."""

    def __init__(self, rng, routes, index, v3, now_ms):
        self.rng = rng
        self.routes = routes
        self.v3 = v3
        self.device_id = "Xk2Qa" + str(90 + index) if v3 else None
        self.vin = self.new_vin()
        self.phase = rng.randrange(TICK_MS)
        self.start_trip(now_ms)

    def new_vin(self):
        return "".join(self.rng.choice(VIN_CHARS) for _ in range(17))

    def new_trip_id(self):
        rng = self.rng
        if self.v3:
            return "".join(rng.choice(NANOID_CHARS) for _ in range(21))
        h = "%032x" % rng.getrandbits(128)
        h = h[:12] + "4" + h[13:16] + "89ab"[rng.randrange(4)] + h[17:]
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def start_trip(self, now_ms):
        rng = self.rng
        self.route = rng.choice(self.routes)
        r = self.route
        self.trip_id = self.new_trip_id()
        self.start_ms = now_ms
        self.model_ms = now_ms
        # the first message goes out at the first 2 s timer tick
        self.pause_until = now_ms + TICK_MS
        self.pedal = rng.uniform(20, 40) if r.aggressive else \
            rng.uniform(10, 40)
        self.next_pedal_change = self.start_ms + rng.randrange(30000, 60000)
        self.next_jitter = self.start_ms + 7000
        self.speed = 0.0
        self.speed_hist = [0.0, 0.0]
        self.accel = 0.0
        self.gear = 1
        self.brake = 0.0
        self.oil = 0.0
        self.oil_boost = 0.0
        self.fuel_used = 0.0
        self.odometer = 0.0
        self.stage = 0
        self.burndown = None
        self.ended = False
        self.steps = 0
        self.sums = [0.0] * 6  # speed, rpm, torque, oil, pedal, brake
        self.high_speed_ms = 0
        self.idle_ms = 0
        self.high_accel = 0
        self.high_brake = 0
        self.last_trip_ms = None
        self.dtc_stage = rng.randrange(5, r.nstages) if r.ndtc else None
        self.dtc_pending = False
        self.brake_stages = set(rng.randrange(3, r.nstages)
                                for _ in range(r.nbrake))
        self.oil_stage = rng.randrange(3, r.nstages) if r.noil else None
        self.rpm = 0.0
        self.torque = 0.0

    # -- dynamics, one 500 ms step
    def step(self):
        rng = self.rng
        r = self.route
        dt = STEP_MS / 1000.0
        self.model_ms += STEP_MS
        now = self.model_ms
        if self.burndown is not None:
            self.brake = 100.0
            self.pedal = 0.0
            if now >= self.burndown:
                self.ended = True
        else:
            if now >= self.next_pedal_change:
                lo = 10 if r.aggressive else 2
                delta = rng.uniform(lo, 25) * rng.choice((-1, 1))
                p = self.pedal + delta
                self.pedal = 99.0 if p >= 100 else (5.0 if p < 0 else p)
                self.brake = 0.0
                self.next_pedal_change = now + rng.randrange(30000, 60000)
            if now >= self.next_jitter:
                if self.brake == 0:
                    self.pedal = float(max(0, min(99, round(self.pedal)
                                                  + rng.randint(-4, 4))))
                self.next_jitter = now + 7000
        target = self.pedal * 1.1
        a = (target - self.speed) * 0.12 - (0.35 * self.brake
                                             if self.brake else 0.0)
        self.speed = max(0.0, self.speed + a * dt)
        if self.speed > 109.5:
            self.speed = 109.5 - rng.random()
        g = self.gear
        if g < 6 and self.speed > UP[g]:
            g += 1
        elif g > 1 and self.speed < DOWN[g]:
            g -= 1
        self.gear = g
        self.speed_hist.append(self.speed)
        if len(self.speed_hist) > 3:
            del self.speed_hist[0]
        self.accel = (self.speed - self.speed_hist[0]) / 1.0
        self.rpm = 16382.0 * self.speed / (100.0 * g)
        ratio = 1.1 - 0.1 * g
        self.torque = self.pedal * 15.0 * ratio - self.rpm * 500.0 / 16382.0
        elapsed = (now - self.start_ms) / 1000.0
        if elapsed < 120:
            self.oil = 2.0417 * elapsed
        else:
            self.oil = 245.0 + rng.uniform(-5, 5)
        self.oil += self.oil_boost
        self.fuel_used += 0.000015 + 0.0015 * dt * self.pedal / 100.0
        self.odometer += self.speed * dt / 3600.0
        # route: at most one stage per step
        if self.burndown is None and self.stage < r.nstages and \
                self.odometer >= (self.stage + 1) * r.stage_km:
            self.stage += 1
            if self.stage in self.brake_stages:
                self.brake = 100.0
                self.pedal = 0.0
            if self.stage == self.dtc_stage:
                self.dtc_pending = True
            if self.stage == self.oil_stage:
                self.oil_boost = rng.uniform(30, 75)
            if self.stage >= r.nstages:
                self.burndown = now + 20000
        # aggregator
        self.steps += 1
        s = self.sums
        s[0] += self.speed
        s[1] += self.rpm
        s[2] += self.torque
        s[3] += self.oil
        s[4] += self.pedal
        s[5] += self.brake
        if self.speed > 112.6:
            self.high_speed_ms += STEP_MS
        if self.speed <= 1.0:
            self.idle_ms += STEP_MS + rng.randrange(4)
        if self.accel >= 12 and rng.random() < 0.2:
            self.high_accel += 1
        if self.brake > 0 and self.accel < -16 and rng.random() < 0.2:
            self.high_brake += 1

    def location(self):
        return self.route.points[min(self.stage, self.route.nstages)]

    # -- messages
    def v2_tick(self, t0, out):
        """The 16 signal messages and the location message of one tick."""
        rng = self.rng
        head_tail = '","trip_id":"%s","vin":"%s","name":"' % (
            self.trip_id, self.vin)
        values = (
            "0",
            js_round(self.torque, 1),
            js_round(self.rpm, 1),
            js_round(self.speed, 2),
            js_round(self.accel, 4),
            js_round(self.pedal, 1),
            "false",
            "true" if self.brake > 0 else "false",
            '"' + GEARS[self.gear] + '"',
            '"drive"',
            js_round(self.odometer, 3),
            '"run"',
            js_round(100.0 * (40.0 - self.fuel_used) / 40.0, 2),
            js_round(self.fuel_used, 6),
            js_round(self.oil, 1),
            js_round(self.brake, 1),
        )
        msgs = []
        t = t0
        for name, val in zip(SIGNALS, values):
            t += rng.choice((0, 0, 0, 1))
            msgs.append('{"timestamp":"' + sim_ts(t) + head_tail + name
                        + '","value":' + val + '}')
        lat, lon = self.location()
        msgs.append('{"timestamp":"' + sim_ts(t0) + head_tail
                    + 'location","latitude":' + js_round(lat, 5)
                    + ',"longitude":' + js_round(lon, 5) + '}')
        # QoS 0 over independent HTTPS publishes: rare swaps and losses
        if rng.random() < 0.02:
            i = rng.randrange(len(msgs) - 1)
            msgs[i], msgs[i + 1] = msgs[i + 1], msgs[i]
        if rng.random() < 0.002:
            del msgs[rng.randrange(len(msgs))]
        out.extend(msgs)
        return t

    def trip_msg(self, ts_ms, final):
        n = max(self.steps, 1)
        s = self.sums
        lat, lon = self.location()
        parts = [
            '{"vehicle_speed_mean":' + js_num(s[0] / n),
            '"engine_speed_mean":' + js_num(s[1] / n),
            '"torque_at_transmission_mean":' + js_num(s[2] / n),
            '"oil_temp_mean":' + js_num(s[3] / n),
            '"accelerator_pedal_position_mean":' + js_num(s[4] / n),
            '"brake_mean":' + js_num(s[5] / n),
            '"high_speed_duration":' + str(self.high_speed_ms),
            '"high_acceleration_event":' + str(self.high_accel),
            '"high_braking_event":' + str(self.high_brake),
            '"idle_duration":' + str(self.idle_ms),
            '"start_time":"' + iso_ts(self.start_ms) + '"',
            '"ignition_status":"' + ("off" if final else "run") + '"',
            '"brake_pedal_status":' + ("true" if self.brake > 0 and not final
                                       else "false"),
            '"transmission_gear_position":"' + GEARS[self.gear] + '"',
            '"odometer":' + js_num(self.odometer),
            '"fuel_level":' + js_num(100.0 * (40.0 - self.fuel_used) / 40.0),
            '"fuel_consumed_since_restart":' + js_num(self.fuel_used),
            '"latitude":' + js_num(lat),
            '"longitude":' + js_num(lon),
            '"timestamp":"' + sim_ts(ts_ms) + '"',
            '"trip_id":"' + self.trip_id + '"',
            '"vin":"' + self.vin + '"',
            '"name":"aggregated_telemetrics"',
        ]
        if final:
            parts.append('"end_time":"' + iso_ts(ts_ms - 1) + '"')
            parts.append('"geojson":{"bucket":"' + BUCKET + '","key":"trip/'
                         + self.vin + "/" + self.trip_id + '.json"}')
        return ",".join(parts) + "}"

    def dtc_msg(self, ts_ms):
        code = self.rng.choice(DTC_FAMILIES) + "%03d" % self.rng.randrange(1000)
        return ('{"timestamp":"' + sim_ts(ts_ms) + '","trip_id":"'
                + self.trip_id + '","vin":"' + self.vin
                + '","name":"dtc","value":"' + code + '"}')

    def v3_msg(self, ts_ms):
        lat, lon = self.location()
        fuel_level = 100.0 * (40.0 - self.fuel_used) / 40.0
        return ('{"timestamp":"' + sim_ts(ts_ms) + '","trip_id":"'
                + self.trip_id + '","VIN":"' + self.vin
                + '","brake":' + js_round(self.brake, 0)
                + ',"steeringWheelAngle":0'
                + ',"torqueAtTransmission":' + js_round(self.torque, 1)
                + ',"engineSpeed":' + js_round(self.rpm, 2)
                + ',"vehicleSpeed":' + js_round(self.speed, 2)
                + ',"acceleration":' + js_round(self.accel, 4)
                + ',"parkingBrakeStatus":false'
                + ',"brakePedalStatus":'
                + ("true" if self.brake > 0 else "false")
                + ',"transmissionGearPosition":"' + GEARS[self.gear] + '"'
                + ',"gearLeverPosition":"drive"'
                + ',"odometer":' + js_round(self.odometer, 3)
                + ',"ignitionStatus":"run"'
                + ',"fuelLevel":' + js_round(fuel_level, 2)
                + ',"fuelConsumedSinceRestart":'
                + js_round(self.fuel_used, 6)
                + ',"oilTemp":' + js_round(self.oil, 1)
                + ',"location":{"latitude":' + js_num(lat)
                + ',"longitude":' + js_num(lon) + '}'
                + ',"_id_":"' + self.device_id + '"}')

    def tick(self, t0, out):
        """Advance the model to t0 and append this tick's messages."""
        while self.model_ms + STEP_MS <= t0:
            self.step()
            if self.ended:
                break
        if self.v3:
            out.append((t0, self.v3_msg(t0 + self.rng.randrange(3))))
            if self.ended:
                self.restart(t0)
            return
        if self.ended:
            # route over: final aggregate only, then a new trip later
            out.append((t0, self.trip_msg(t0 + 1, True)))
            self.restart(t0)
            return
        msgs = []
        t = self.v2_tick(t0, msgs)
        if self.last_trip_ms is None or \
                t0 - self.last_trip_ms >= TRIP_EVERY_MS:
            t += 1 + self.rng.randrange(2)
            msgs.append(self.trip_msg(t, False))
            self.last_trip_ms = t0
        if self.dtc_pending:
            self.dtc_pending = False
            msgs.append(self.dtc_msg(t + 2 + self.rng.randrange(5)))
        out.extend((t0, m) for m in msgs)

    def restart(self, now_ms):
        # Either the same vehicle restarted (same VIN, new trip) or a new one
        if self.rng.random() < 0.5:
            self.vin = self.new_vin()
        self.start_trip(now_ms + self.rng.randrange(2000, 60000))


def generate(n, seed, nveh, v3_share, out):
    rng = random.Random(seed)
    routes = [Route(rng, spec) for spec in ROUTES]
    vehicles = []
    for i in range(nveh):
        v3 = rng.random() < v3_share
        vehicles.append(Vehicle(rng, routes, i, v3,
                                START_MS + rng.randrange(0, 120000)))
    written = 0
    period = 0
    write = out.write
    while written < n:
        base = START_MS + period * TICK_MS
        events = []
        for v in vehicles:
            offsets = sorted((v.phase, (v.phase + 1000) % TICK_MS)) \
                if v.v3 else (v.phase,)
            for off in offsets:
                t0 = base + off
                if t0 < v.pause_until:
                    continue
                v.tick(t0, events)
        events.sort(key=lambda e: e[0])
        chunk = [m for _, m in events[:n - written]]
        if chunk:
            write("\n".join(chunk) + "\n")
        written += len(chunk)
        period += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--lines", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vehicles", type=int, default=300)
    ap.add_argument("--v3-share", type=float, default=0.2)
    a = ap.parse_args()
    out = open(sys.stdout.fileno(), "w", encoding="ascii", buffering=1 << 20,
               closefd=False)
    generate(a.lines, a.seed, a.vehicles, a.v3_share, out)
    out.flush()


if __name__ == "__main__":
    main()
