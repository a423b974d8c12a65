#!/usr/bin/env bash
# Puts the GLUE data under data/glue/<TASK>/ (gitignored), in the official folder and file names
# that data/glue.h reads: CoLA SST-2 MRPC STS-B QQP MNLI QNLI RTE WNLI.
#
#   scripts/get_glue.sh                 # all nine tasks
#   scripts/get_glue.sh RTE MRPC        # some of them (official folder names)
#   scripts/get_glue.sh --link          # symlink from the shared copy instead of copying
#
# For each task: already complete under data/glue -> nothing to do (idempotent). Else, when the
# shared copy (GLUE_SHARED, default <repo>/../shared/glue) holds every file of the task, copy (or
# symlink) them. Else download the task from the official GLUE links (the ones GLUE's own
# download_glue_data.py uses) and unpack it; MRPC is built from the SentEval copy of the MSR
# corpus exactly as that script builds it. If the download fails, whatever the shared copy has is
# still put in place and the missing files are named. Exit status 1 when any task is incomplete.
#
# Environment: GLUE_SHARED (shared copy), GLUE_OUT (destination, default <repo>/data/glue).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${GLUE_SHARED:-$repo/../shared/glue}"
[[ -d "$shared" ]] && shared="$(cd "$shared" && pwd)"
out="${GLUE_OUT:-$repo/data/glue}"
mode="copy"

all_tasks=(CoLA SST-2 MRPC STS-B QQP MNLI QNLI RTE WNLI)
tasks=()
for arg in "$@"; do
  case "$arg" in
    --link) mode="link" ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) tasks+=("$arg") ;;
  esac
done
[[ ${#tasks[@]} -gt 0 ]] || tasks=("${all_tasks[@]}")

base=https://dl.fbaipublicfiles.com/glue/data
# The files each task must end up with.
files_of() {
  case "$1" in
    MNLI) echo "train.tsv dev_matched.tsv dev_mismatched.tsv test_matched.tsv test_mismatched.tsv" ;;
    CoLA|SST-2|MRPC|STS-B|QQP|QNLI|RTE|WNLI) echo "train.tsv dev.tsv test.tsv" ;;
    *) echo "get_glue.sh: unknown task '$1' (expected one of: ${all_tasks[*]})" >&2; return 1 ;;
  esac
}
# The official zip of each task (QQP and QNLI are the revised "QQP-clean" and "QNLIv2").
zip_of() {
  case "$1" in
    MRPC) echo "https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_{train,test}.txt" ;;
    QQP) echo "$base/QQP-clean.zip" ;;
    QNLI) echo "$base/QNLIv2.zip" ;;
    *) echo "$base/$1.zip" ;;
  esac
}

fetch() {  # fetch URL FILE
  if command -v curl >/dev/null; then
    curl -fsSL --retry 2 -o "$2" "$1"
  elif command -v wget >/dev/null; then
    wget -q -O "$2" "$1"
  else
    echo "get_glue.sh: neither curl nor wget is installed" >&2
    return 1
  fi
}

complete() {  # complete DIR TASK: every file of the task is there and non-empty
  local f
  for f in $(files_of "$2"); do [[ -s "$1/$f" ]] || return 1; done
}

# MRPC is not hosted as a zip: GLUE's script splits the SentEval copy of the MSR training file
# into train/dev by the official dev ids (keeping the header, byte-order mark included) and
# numbers the test rows.
download_mrpc() {  # download_mrpc TMPDIR -> TMPDIR/MRPC
  local tmp="$1" senteval=https://dl.fbaipublicfiles.com/senteval/senteval_data
  mkdir -p "$tmp/MRPC"
  fetch "$senteval/msr_paraphrase_train.txt" "$tmp/msr_train.txt" &&
    fetch "$senteval/msr_paraphrase_test.txt" "$tmp/msr_test.txt" &&
    fetch "$base/mrpc_dev_ids.tsv" "$tmp/dev_ids.tsv" || return 1
  command -v python3 >/dev/null || { echo "get_glue.sh: MRPC needs python3" >&2; return 1; }
  python3 - "$tmp" <<'EOF'
import io, os, sys
tmp = sys.argv[1]
with io.open(os.path.join(tmp, "dev_ids.tsv"), encoding="utf-8") as f:
    dev_ids = {tuple(row.strip().split("\t")) for row in f}
with io.open(os.path.join(tmp, "msr_train.txt"), encoding="utf-8") as data, \
     io.open(os.path.join(tmp, "MRPC", "train.tsv"), "w", encoding="utf-8") as train, \
     io.open(os.path.join(tmp, "MRPC", "dev.tsv"), "w", encoding="utf-8") as dev:
    header = data.readline()
    train.write(header)
    dev.write(header)
    for row in data:
        label, id1, id2, s1, s2 = row.strip().split("\t")
        (dev if (id1, id2) in dev_ids else train).write("\t".join([label, id1, id2, s1, s2]) + "\n")
with io.open(os.path.join(tmp, "msr_test.txt"), encoding="utf-8") as data, \
     io.open(os.path.join(tmp, "MRPC", "test.tsv"), "w", encoding="utf-8") as test:
    data.readline()
    test.write("index\t#1 ID\t#2 ID\t#1 String\t#2 String\n")
    for idx, row in enumerate(data):
        label, id1, id2, s1, s2 = row.strip().split("\t")
        test.write("\t".join([str(idx), id1, id2, s1, s2]) + "\n")
EOF
}

download() {  # download TASK TMPDIR -> TMPDIR/TASK
  local task="$1" tmp="$2"
  if [[ "$task" == MRPC ]]; then download_mrpc "$tmp"; return; fi
  local url; url="$(zip_of "$task")"
  echo "  downloading $url"
  fetch "$url" "$tmp/$task.zip" || return 1
  if command -v unzip >/dev/null; then
    unzip -q -o "$tmp/$task.zip" -d "$tmp/unpacked" || return 1
  else
    python3 -m zipfile -e "$tmp/$task.zip" "$tmp/unpacked" || return 1
  fi
  # Each zip holds one folder named after the task (QQP-clean.zip -> QQP/, QNLIv2.zip -> QNLI/).
  [[ -d "$tmp/unpacked/$task" ]] || { echo "  $url: no $task/ folder inside" >&2; return 1; }
  mv "$tmp/unpacked/$task" "$tmp/$task"
}

put() {  # put SRC DEST: copy or symlink one file
  if [[ "$mode" == link ]]; then
    ln -sfn "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" "$2"
  else
    cp -f "$1" "$2" && chmod u+w "$2"  # the shared copy is read-only; ours need not be
  fi
}

status=0
mkdir -p "$out"
for task in "${tasks[@]}"; do
  files="$(files_of "$task")" || { status=1; continue; }
  dest="$out/$task"
  if complete "$dest" "$task"; then
    echo "$task: already in $dest"
    continue
  fi
  mkdir -p "$dest"
  if [[ -d "$shared/$task" ]] && complete "$shared/$task" "$task"; then
    for f in $files; do put "$shared/$task/$f" "$dest/$f"; done
    if [[ "$mode" == link ]]; then verb=linked; else verb=copied; fi
    echo "$task: $verb from $shared/$task"
    continue
  fi
  echo "$task: not (all) in $shared; downloading"
  tmp="$(mktemp -d)"
  if download "$task" "$tmp" && complete "$tmp/$task" "$task"; then
    for f in $files; do mv -f "$tmp/$task/$f" "$dest/$f"; done
    echo "$task: downloaded into $dest"
  else
    # Offline, or the links moved: keep what the shared copy has and say what is missing.
    if [[ -d "$shared/$task" ]]; then
      for f in $files; do [[ -s "$shared/$task/$f" ]] && put "$shared/$task/$f" "$dest/$f"; done
    fi
    missing=()
    for f in $files; do [[ -s "$dest/$f" ]] || missing+=("$f"); done
    echo "get_glue.sh: $task: download failed; missing in $dest: ${missing[*]}" \
         "(expected from $(zip_of "$task"); check the network, or put the files there by hand)" >&2
    status=1
  fi
  rm -rf "$tmp"
done
exit $status
