#!/usr/bin/env bash
# Peak resident memory of a worker process inpainting the 5120x2880 corpus picture with the
# random-weight big-lama on CPU, per strategy. Prints a Markdown table.
#
# Usage (from the repository root, after ./mvnw -B -DskipTests package):
#   bench/memory-5k.sh [STRATEGY...]          default: crop original
#
# The worker under measurement is a `run` process of its own, measured with /usr/bin/time -v,
# talking to the Kafka broker and S3 server of a second process (`run --servers-only`), so the
# figure is the worker's alone: Vert.x, Kafka and S3 clients, model, pictures.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=worker/target/lama-worker.jar
CORPUS=worker/src/test/resources/corpus
WORK=$(mktemp -d /tmp/lama-bench.XXXXXX)
STRATEGIES=("$@")
[ $# -eq 0 ] && STRATEGIES=(crop original)
# A worker whose resident memory passes this is stopped (SIGKILL) and reported as such, so that
# a strategy that does not bound memory cannot take the machine down.
LIMIT_MIB=${LIMIT_MIB:-12288}
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

for contract in a b; do
  [ -f "$WORK/big-lama-$contract.onnx" ] || java -jar $JAR model generate --arch big-lama --contract $contract --out "$WORK/big-lama-$contract.onnx" >&2
done

(cd "$WORK" && exec java -jar "$OLDPWD/$JAR" run --servers-only > servers.log 2>&1) &
until grep -q '^kafka=' "$WORK/servers.log"; do sleep 1; done
line=$(grep '^kafka=' "$WORK/servers.log")
kafka=$(sed 's/.*kafka=\([^ ]*\).*/\1/' <<<"$line")
s3=$(sed 's/.*s3=\([^ ]*\).*/\1/' <<<"$line")
secret=$(sed 's/.*secret-key=\([^ ]*\).*/\1/' <<<"$line")

echo "| strategy | model | result | job total (ms) | worker peak RSS (MiB) |"
echo "|---|---|---|---|---|"
for strategy in "${STRATEGIES[@]}"; do
  contract=a
  [ "$strategy" = original ] && contract=b
  run="bench-$strategy-$RANDOM"
  LAMA_KAFKA_BOOTSTRAP_SERVERS=$kafka LAMA_S3_ENDPOINT=$s3 LAMA_S3_ACCESS_KEY=lama-local LAMA_S3_SECRET_KEY=$secret \
  LAMA_KAFKA_GROUP_ID=bench-memory \
  LAMA_WORKER_MAX_IN_FLIGHT=1 LAMA_IMAGE_MAX_PIXELS=40000000 \
    /usr/bin/time -v -o "$WORK/$run.time" java -jar $JAR run --model "$WORK/big-lama-$contract.onnx" > "$WORK/$run.log" 2>&1 &
  worker=$!
  until grep -q "ready" "$WORK/$run.log"; do sleep 1; kill -0 $worker 2>/dev/null || break; done
  java_pid=$(pgrep -P $worker java)
  ( while kill -0 "$java_pid" 2>/dev/null; do
      rss_kib=$(awk '/VmRSS/ {print $2}' /proc/$java_pid/status 2>/dev/null || echo 0)
      if [ "${rss_kib:-0}" -gt $((LIMIT_MIB * 1024)) ]; then echo killed > "$WORK/$run.killed"; kill -KILL "$java_pid"; fi
      sleep 0.5
    done ) &
  java -jar $JAR submit --kafka "$kafka" --s3 "$s3" --access-key lama-local --secret-key "$secret" --bucket inpaint \
      --job-id "$run" --timeout 1800s \
      --image $CORPUS/rocket-5k.jpg --mask $CORPUS/rocket-5k.mask.png --out "$WORK/$run.png" \
      --option strategy=$strategy > "$WORK/$run.result" 2>>"$WORK/$run.submit.log" &
  submit=$!
  while kill -0 $submit 2>/dev/null; do
    kill -0 "$java_pid" 2>/dev/null || { kill $submit 2>/dev/null; break; }
    sleep 1
  done
  wait $submit 2>/dev/null || true
  result=$(cat "$WORK/$run.result")
  kill -TERM "$java_pid" 2>/dev/null || true
  wait $worker 2>/dev/null || true
  status=$(grep -o '"status":"[A-Z]*"' <<<"$result" | cut -d'"' -f4 || true)
  code=$(grep -o '"code":"[A-Z_]*"' <<<"$result" | cut -d'"' -f4 || true)
  total=$(grep -o '"total":[0-9]*' <<<"$result" | cut -d: -f2 || true)
  rss=$(awk '/Maximum resident set size/ {printf "%d", $6/1024}' "$WORK/$run.time")
  [ -f "$WORK/$run.killed" ] && status="stopped at the ${LIMIT_MIB} MiB limit"
  echo "| $strategy | big-lama random weights, contract $contract | ${status:-no result}${code:+ $code} | ${total:--} | $rss |"
done
