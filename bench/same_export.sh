#!/usr/bin/env bash
# Same export before and after a change (not a test): exports INPUTS (collections, files) in
# every format and with the main options, with the code on PYTHONPATH, into a new directory;
# the first run keeps them as BASELINE, a later run compares its files with the baseline's
# byte for byte.
#
# WET files are compared gunzipped, without the lines that change from run to run:
# WARC-Record-ID and WARC-Date (the warcinfo record's date, and the current time of a
# document without a capture date). Summaries are compared without "seconds".
#
# Usage: PYTHONPATH=$PWD bench/same_export.sh BASELINE INPUT...
set -euo pipefail

baseline=$1
shift
inputs=("$@")
log=$(mktemp /tmp/same-export-log.XXXXXX)
trap 'rm -f "$log"' EXIT
if [[ -e $baseline ]]; then
    out=$(mktemp -d /tmp/same-export.XXXXXX)
else
    out=$baseline
fi
mkdir -p "$out"

run() {  # NAME ARGS...: export into $out/NAME.*, with the summary beside it
    local name=$1 target
    shift
    case " $* " in
        *" parquet "*) target=$name.parquet ;;
        *" wet "*) target=$name.warc.wet.gz ;;
        *" txt "*) target=$name.txt ;;
        *) target=$name.jsonl ;;
    esac
    if ! warcloom export "${inputs[@]}" --progress off --summary-json "$out/$name.summary.json" \
        --out "$out/$target" "$@" > /dev/null 2> "$log"; then
        cat "$log" >&2
        exit 1
    fi
    python - "$out/$name.summary.json" <<'EOF'
import json, sys
path = sys.argv[1]
data = json.load(open(path))
data.pop("seconds")
json.dump(data, open(path, "w"), indent=1, sort_keys=True)
EOF
}

run jsonl --format jsonl
run parquet --format parquet
run wet --format wet
run txt --format txt
run links-csv --format jsonl --links "$out/links.csv"
run links-parquet --format parquet --links "$out/links.parquet"
run all-captures --format jsonl --all-captures
run dedup-exact --format jsonl --dedup exact
run dedup-near --format jsonl --dedup near
run reextract --format jsonl --reextract --links "$out/reextract-links.csv"
run reextract-wet --format wet --reextract --dedup near
run filtered --format jsonl --lang en --min-words 20 --status 2xx --all-captures
run one-worker --format jsonl --workers 1 --all-captures

for wet in "$out"/*.wet.gz; do
    gzip -dc "$wet" | grep -av -e '^WARC-Record-ID:' -e '^WARC-Date:' > "${wet%.gz}.norm"
    rm "$wet"
done

if [[ $out == "$baseline" ]]; then
    echo "baseline written to $baseline: $(find "$baseline" -type f | wc -l) files"
    exit 0
fi
if diff -r "$baseline" "$out"; then
    echo "same export: $(find "$out" -type f | wc -l) files identical to $baseline"
    rm -rf "$out"
else
    echo "DIFFERENT from $baseline: see $out" >&2
    exit 1
fi
