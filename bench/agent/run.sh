#!/usr/bin/env bash
# The VM agent's benchmark: small HTTP requests and TCP echo round trips, directly to an upstream, through
# `meridian agent` and through HAProxy, in one run on the same machine.
#
#   bench/agent/run.sh            (from the repository root; `./meridian` must already be built:
#                                  mvn -B -q -DskipTests -pl cli -am package)
#
# Needs: a JDK 17+, wrk and haproxy (Debian: apt-get install -y wrk haproxy), taskset (util-linux).
#
# What runs:
# - upstreams (bench/agent/AgentBench.java, started with the JDK's source launcher): an HTTP server (JDK
#   HttpServer, TCP_NODELAY, one thread, answers 200 "ok\n") on 18080 and a TCP echo server on 18081;
# - `./meridian agent` with a generated agent.yaml and mesh directory: the VM in r1/z1, one http listener
#   (15080) and one tcp listener (15081), each service with its one endpoint in r1/z1; `threads: 1`;
# - haproxy (nbthread 1) in front of the same upstreams: http mode with keep-alive and connection reuse
#   on 16080, tcp mode on 16081.
# - HTTP: `wrk -t1 -c16 -d10s --latency` (two warm-up runs first, 15 s and 5 s, discarded: the
#   agent's JIT (C2) on one shared core takes about 3 s of CPU in the first 12 s, and the first time the
#   warm-up's connections close and new ones open it recompiles the event loop) against each of
#   direct, agent, haproxy; GET / with keep-alive.
# - TCP: AgentBench echo-client, 16 connections each sending 64 bytes and reading them back in a loop,
#   15 s warm-up then 10 s measured, against each of direct, agent, haproxy.
#
# Pinning: on a two-core machine the load generator would otherwise take CPU from the servers
# unevenly. The load generators (wrk, echo-client) run on CPU 1 and everything that serves (upstreams,
# agent, haproxy) on CPU 0, so direct and proxied runs each have exactly one core for the serving side:
# a proxy's cost shows up as CPU taken from the same core the upstream uses, as a sidecar on a small VM.
# Override with CLIENT_CPU / SERVER_CPU (e.g. SERVER_CPU=0,1). PROXY_CPU (default SERVER_CPU) pins the
# proxies (agent, HAProxy) on their own: PROXY_CPU=1 puts them on the load generator's core, where a VM
# agent runs in its deployment (on the VM of the application that calls out, not on the upstream's
# machine), so the proxy's work is taken from the caller's core instead of the upstream's.
#
# Output: one markdown table on stdout (throughput, p50, p99 per target, the ratios to direct, and the
# proxy's own CPU time per request over the measured seconds, from /proc/PID/stat; for TCP the window
# starts about a second after the client JVM's start plus the warm-up, so it is approximate);
# logs and generated configuration in $WORK (default: a temporary directory, removed at the end unless
# KEEP=1). Every process started here is stopped on exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
[ -f cli/target/meridian.jar ] || { echo "run.sh: build ./meridian first (mvn -B -q -DskipTests -pl cli -am package)" >&2; exit 1; }
for tool in wrk haproxy taskset java curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done

CLIENT_CPU="${CLIENT_CPU:-1}"
SERVER_CPU="${SERVER_CPU:-0}"
PROXY_CPU="${PROXY_CPU:-$SERVER_CPU}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-15}"
CONNS="${CONNS:-16}"
SIZE="${SIZE:-64}"
WORK="${WORK:-$(mktemp -d)}"
mkdir -p "$WORK/mesh"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

serve() { # serve NAME COMMAND...: start on the server CPU, log to $WORK/NAME.log
  local name="$1"; shift
  taskset -c "$SERVER_CPU" "$@" >"$WORK/$name.log" 2>&1 &
  pids+=("$!")
}
proxy() { # proxy NAME COMMAND...: start on the proxy CPU, log to $WORK/NAME.log
  local name="$1"; shift
  taskset -c "$PROXY_CPU" "$@" >"$WORK/$name.log" 2>&1 &
  pids+=("$!")
}
wait_port() { # wait_port PORT: until something accepts on 127.0.0.1:PORT (30 s)
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "run.sh: nothing listens on $1; logs in $WORK" >&2; KEEP=1; exit 1
}

bench_java=(java -Xmx256m -Dsun.net.httpserver.nodelay=true bench/agent/AgentBench.java)
serve http-upstream "${bench_java[@]}" http-upstream 18080
serve echo-upstream "${bench_java[@]}" echo-upstream 18081

cat >"$WORK/mesh/upstreams.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: default}
spec:
  hosts: [web.default.svc.cluster.local]
  ports: [{number: 8080, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints:
  - {address: 127.0.0.1, ports: {http: 18080}, locality: r1/z1}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo.default.svc.cluster.local]
  ports: [{number: 7000, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints:
  - {address: 127.0.0.1, ports: {tcp: 18081}, locality: r1/z1}
YAML
cat >"$WORK/agent.yaml" <<'YAML'
locality: r1/z1
mesh:
  directory: mesh
threads: 1
admin: 127.0.0.1:15090
listeners:
- {listen: 127.0.0.1:15080, service: web:8080, mode: http}
- {listen: 127.0.0.1:15081, service: echo:7000, mode: tcp}
YAML
cat >"$WORK/haproxy.cfg" <<'CFG'
global
  nbthread 1
  maxconn 4096
defaults
  timeout connect 5s
  timeout client 1h
  timeout server 1h
frontend http_in
  mode http
  bind 127.0.0.1:16080
  option http-keep-alive
  default_backend web
backend web
  mode http
  http-reuse always
  server web 127.0.0.1:18080
listen echo
  mode tcp
  bind 127.0.0.1:16081
  server echo 127.0.0.1:18081
CFG

wait_port 18080
wait_port 18081
proxy agent env JAVA_OPTS="-Xmx256m" ./meridian agent --config "$WORK/agent.yaml"
declare -A proxy_pid=([direct]="" [agent]="$!")
proxy haproxy haproxy -db -f "$WORK/haproxy.cfg"
proxy_pid[haproxy]="$!"
wait_port 16080
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:15090/ready || true)" = 200 ] && break
  sleep 0.1
done
[ "$(curl -s http://127.0.0.1:15080/)" = ok ] || { echo "run.sh: the agent does not forward; logs in $WORK" >&2; KEEP=1; exit 1; }

declare -A rps p50 p99 cpu
ticks() { # CPU time (user + system, clock ticks) of the proxy named $1 so far; 0 for direct
  [ -n "${proxy_pid[$1]}" ] && awk '{ print $14 + $15 }' "/proc/${proxy_pid[$1]}/stat" || echo 0
}
per_request() { # per_request NAME TICKS_BEFORE REQUESTS_PER_S: the proxy's CPU µs per request
  awk -v t="$(( $(ticks "$1") - $2 ))" -v hz="$(getconf CLK_TCK)" -v r="$3" -v d="$DURATION" \
    'BEGIN { printf "%.1f", t / hz * 1e6 / (r * d) }'
}
to_us() { # wrk latency (e.g. 512.00us, 1.20ms, 1.01s) in microseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v ~ /[0-9]s$/) n *= 1000000; printf "%.0f", n }'
}
http_run() { # http_run NAME PORT
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARMUP}s" "http://127.0.0.1:$2/" >/dev/null
  # a second warm-up on new connections: the first reconnection sends the agent's compiled event loop
  # back to the interpreter (paths never taken before: connections closing, new ones accepted), and
  # recompiling it would otherwise take CPU from the shared core during the measured run
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d5s "http://127.0.0.1:$2/" >/dev/null
  local before; before="$(ticks "$1")"
  local out; out="$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$2/")"
  echo "$out" >"$WORK/wrk-$1.txt"
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then echo "run.sh: errors against $1:" >&2; echo "$out" >&2; fi
  rps[http-$1]="$(awk '/Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")"
  p50[http-$1]="$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")"
  p99[http-$1]="$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
  cpu[http-$1]="$(per_request "$1" "$before" "${rps[http-$1]}")"
}
tcp_run() { # tcp_run NAME PORT
  # the client's JVM start and warm-up fall outside the proxy's measured CPU only approximately: count
  # from when the warm-up ends
  local before sampler
  { sleep "$(( WARMUP + 1 ))"; ticks "$1" >"$WORK/ticks-$1"; } &
  sampler=$!
  local out; out="$(taskset -c "$CLIENT_CPU" java -Xmx512m bench/agent/AgentBench.java echo-client \
      "127.0.0.1:$2" "$CONNS" "$WARMUP" "$DURATION" "$SIZE")"
  read -r rps[tcp-$1] p50[tcp-$1] p99[tcp-$1] <<<"$out"
  wait "$sampler"
  before="$(cat "$WORK/ticks-$1")"
  cpu[tcp-$1]="$(per_request "$1" "$before" "${rps[tcp-$1]}")"
}

echo "load before: $(cat /proc/loadavg); CPUs: client $CLIENT_CPU, upstreams $SERVER_CPU, proxies $PROXY_CPU" >&2
for target in direct:18080 agent:15080 haproxy:16080; do http_run "${target%%:*}" "${target##*:}"; done
for target in direct:18081 agent:15081 haproxy:16081; do tcp_run "${target%%:*}" "${target##*:}"; done
echo "load after: $(cat /proc/loadavg)" >&2

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| test | target | throughput (req/s) | p50 (µs) | p99 (µs) | throughput / direct | p99 / direct | proxy CPU (µs/req) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for kind in http tcp; do
  for name in direct agent haproxy; do
    k="$kind-$name"
    echo "| $kind | $name | ${rps[$k]} | ${p50[$k]} | ${p99[$k]} | $(ratio "${rps[$k]}" "${rps[$kind-direct]}") | $(ratio "${p99[$k]}" "${p99[$kind-direct]}") | ${cpu[$k]} |"
  done
done
