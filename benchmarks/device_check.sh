#!/usr/bin/env bash
# The checks a machine with a GPU is lent for, in one run of a few minutes:
#   1. a default MNIST-10k fit on the GPU against a hand-written torch loop on
#      the same GPU with the rows on the device (perf.json, as in benchmarks.perf);
#   2. default fits on the GPU against 16 CPU threads (devices.json, as in
#      benchmarks.devices);
#   3. the data-parallel example under torchrun: two processes sharing the
#      GPU (gloo), then two on the CPUs (ddp.log).
# From the repository root: benchmarks/device_check.sh OUT_DIR [--quick]
# (--quick: a couple of epochs each, to check that it runs). Packages the
# machine lacks, skorch among them, travel as wheels in .whl/ (see
# benchmarks/README.md); nothing is fetched.
set -euo pipefail
out=${1:?usage: benchmarks/device_check.sh OUT_DIR [--quick]}
quick=${2:-}
python=${PYTHON:-python3}
mkdir -p "$out"
if compgen -G ".whl/*.whl" > /dev/null; then
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
"$python" -c "import torch, skorch, sk_autoencoder
print('torch', torch.__version__, 'skorch', skorch.__version__, 'CUDA', torch.cuda.is_available())"
epochs=()
if [ -n "$quick" ]; then epochs=(--max-iter 2); fi
"$python" -m benchmarks.perf --only fit-mnist-cuda $quick --out "$out" 2>&1 | tee "$out/perf.log"
"$python" -m benchmarks.devices --threads 16 "${epochs[@]}" --out "$out/devices.json" 2>&1 |
    tee "$out/devices.log"
for device in cuda cpu; do
    "$python" -m torch.distributed.run --standalone --nproc_per_node=2 \
        examples/distributed/train_mnist_ddp.py --device "$device" --backend gloo \
        --out "/tmp/ddp_$device.safetensors" "${epochs[@]}" 2>&1 | tee -a "$out/ddp.log"
done
