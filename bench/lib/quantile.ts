/** The q-quantile (0 < q ≤ 1) of values sorted ascending, by nearest rank; NaN when there are none. */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
