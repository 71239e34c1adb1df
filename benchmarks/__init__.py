"""stepgrad against micrograd, side by side in one run: `make bench` or `python -m benchmarks`.

Six workloads (see each module): micrograd's own demo step, bytes per node, depth,
throughput on a wide graph, the digits MLP, and recurrent networks on sequences.  These machines are noisy, so every time
is a median of several runs and the headline figures are ratios taken in the same run.
"""
