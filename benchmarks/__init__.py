"""stepgrad against micrograd, side by side in one run: `make bench` or `python -m benchmarks`.

Five workloads (see each module): micrograd's own demo step, bytes per node, depth,
throughput on a wide graph, and the digits MLP.  These machines are noisy, so every time
is a median of several runs and the headline figures are ratios taken in the same run.
"""
