/* The lexicographic network simplex of netsimplex.py, one bucket per call (see that module's
 * docstring for the model). Plain C99, no Python API: netsimplex.py compiles it with the system's
 * C compiler and calls ns_solve through ctypes; without a compiler OR-Tools solves every part.
 *
 * Arrays (all owned by the caller, kept from one bucket to the next):
 *   tail, head [m]        arc ends; arcs >= art_base are artificial (2 per node: v->root, root->v)
 *   cost [m * LEVELS]     level k of arc a's cost at cost[a * LEVELS + k] (an arc's levels side by side)
 *   flow [m]              flow per arc (0 off the tree)
 *   in_tree [m]           whether the arc is in the spanning tree
 *   enabled [m]           whether the arc exists in this bucket: it may enter the tree (an artificial
 *                         arc never does), and a disabled tree arc is cut
 *   parent, pred, up, depth [n]; first_child, next_sib, prev_sib [n]
 *   y [n * LEVELS]        node v's potential of level k at y[v * LEVELS + k]
 *   supply [n]            this bucket's node supplies (they sum to zero)
 */
#include <stdint.h>
#include <stdlib.h>

#define LEVELS 4
typedef int64_t i64;
typedef uint8_t u8;

static void detach(i64 v, i64 *parent, i64 *first_child, i64 *next_sib, i64 *prev_sib) {
    i64 p = parent[v], ps = prev_sib[v], ns = next_sib[v];
    if (ps != -1)
        next_sib[ps] = ns;
    else
        first_child[p] = ns;
    if (ns != -1) prev_sib[ns] = ps;
    prev_sib[v] = -1;
    next_sib[v] = -1;
    parent[v] = -1;
}

static void attach(i64 v, i64 p, i64 *parent, i64 *first_child, i64 *next_sib, i64 *prev_sib) {
    i64 f = first_child[p];
    parent[v] = p;
    next_sib[v] = f;
    prev_sib[v] = -1;
    if (f != -1) prev_sib[f] = v;
    first_child[p] = v;
}

static i64 preorder(i64 root, const i64 *first_child, const i64 *next_sib, i64 *order, i64 *stack) {
    i64 sp = 1, count = 0;
    stack[0] = root;
    while (sp > 0) {
        i64 v = stack[--sp], c;
        order[count++] = v;
        for (c = first_child[v]; c != -1; c = next_sib[c]) stack[sp++] = c;
    }
    return count;
}

/* Tree flows for the supplies; a tree arc that is artificial, disabled or would go negative is
 * replaced by the artificial arc between its lower node and the root that carries the subtree's
 * net supply. Returns the number of nodes reached from the root. */
static i64 repair(i64 n, i64 root, i64 art_base, const i64 *supply, i64 *parent, i64 *pred, u8 *up,
                  i64 *first_child, i64 *next_sib, i64 *prev_sib, i64 *flow, u8 *in_tree,
                  const u8 *enabled, i64 *order, i64 *stack, i64 *acc) {
    i64 count = preorder(root, first_child, next_sib, order, stack), k;
    for (k = 0; k < n; k++) acc[k] = 0;
    for (k = count - 1; k > 0; k--) {
        i64 v = order[k], a = pred[v];
        i64 s = acc[v] + supply[v];
        i64 f = up[v] ? s : -s;
        if (a >= art_base || !enabled[a] || f < 0) {
            flow[a] = 0;
            in_tree[a] = 0;
            if (parent[v] != root) {
                detach(v, parent, first_child, next_sib, prev_sib);
                attach(v, root, parent, first_child, next_sib, prev_sib);
            }
            if (s >= 0) {
                a = art_base + 2 * v; /* v -> root */
                up[v] = 1;
                flow[a] = s;
            } else {
                a = art_base + 2 * v + 1; /* root -> v */
                up[v] = 0;
                flow[a] = -s;
            }
            pred[v] = a;
            in_tree[a] = 1;
        } else {
            flow[a] = f;
            acc[parent[v]] += s;
        }
    }
    return count;
}

static void potentials(i64 root, const i64 *cost, const i64 *parent, const i64 *pred,
                       const u8 *up, const i64 *first_child, const i64 *next_sib, i64 *y, i64 *depth,
                       i64 *order, i64 *stack) {
    i64 count = preorder(root, first_child, next_sib, order, stack), idx, k;
    for (k = 0; k < LEVELS; k++) y[root * LEVELS + k] = 0;
    depth[root] = 0;
    for (idx = 1; idx < count; idx++) {
        i64 v = order[idx], a = pred[v], p = parent[v];
        depth[v] = depth[p] + 1;
        for (k = 0; k < LEVELS; k++) /* reduced cost cost + y_tail - y_head = 0 on a tree arc */
            y[v * LEVELS + k] = up[v] ? y[p * LEVELS + k] - cost[a * LEVELS + k] : y[p * LEVELS + k] + cost[a * LEVELS + k];
    }
}

/* Returns the number of pivots, or -1 (pivot cap), -2 (unbounded), -3 (not a spanning tree),
 * -4 (out of memory). */
i64 ns_solve(i64 n, i64 m, i64 root, i64 art_base, const i64 *tail, const i64 *head, const i64 *cost,
             i64 *flow, u8 *in_tree, const u8 *enabled, i64 *parent, i64 *pred,
             u8 *up, i64 *depth, i64 *y, i64 *first_child, i64 *next_sib, i64 *prev_sib,
             const i64 *supply, i64 block, i64 *start, i64 max_pivots) {
    i64 *order = malloc(sizeof(i64) * n), *stack = malloc(sizeof(i64) * n), *acc = malloc(sizeof(i64) * n);
    i64 pos = *start, pivots = 0, result = 0, k;
    i64 r[LEVELS], best_r[LEVELS], shift[LEVELS];
    if (!order || !stack || !acc) {
        result = -4;
        goto done;
    }
    if (repair(n, root, art_base, supply, parent, pred, up, first_child, next_sib, prev_sib, flow, in_tree,
               enabled, order, stack, acc) != n) {
        result = -3;
        goto done;
    }
    potentials(root, cost, parent, pred, up, first_child, next_sib, y, depth, order, stack);
    for (;;) {
        i64 best = -1, seen = 0, cnt = 0;
        i64 a_in, i, j, uu, vv, apex, w, delta, leave_node, leave_side, a_out, u_in, new_par, prev_node,
            prev_arc, sp;
        u8 u_up, prev_up;
        for (k = 0; k < LEVELS; k++) best_r[k] = 0;
        /* block search: the lexicographically most negative reduced cost in blocks of arcs */
        while (seen < m) {
            i64 a = pos;
            if (++pos == m) pos = 0;
            seen++;
            cnt++;
            if (a < art_base && enabled[a] && !in_tree[a]) {
                i64 t = tail[a], h = head[a];
                int neg = 0;
                for (k = 0; k < LEVELS; k++) {
                    r[k] = cost[a * LEVELS + k] + y[t * LEVELS + k] - y[h * LEVELS + k];
                    if (r[k] != 0) {
                        i64 k2;
                        neg = r[k] < 0;
                        if (neg)
                            for (k2 = k + 1; k2 < LEVELS; k2++)
                                r[k2] = cost[a * LEVELS + k2] + y[t * LEVELS + k2] - y[h * LEVELS + k2];
                        break;
                    }
                }
                if (neg) {
                    int better = best == -1;
                    if (!better)
                        for (k = 0; k < LEVELS; k++)
                            if (r[k] != best_r[k]) {
                                better = r[k] < best_r[k];
                                break;
                            }
                    if (better) {
                        best = a;
                        for (k = 0; k < LEVELS; k++) best_r[k] = r[k];
                    }
                }
            }
            if (cnt >= block) {
                if (best != -1) break;
                cnt = 0;
            }
        }
        if (best == -1) {
            result = pivots;
            goto done;
        }
        if (pivots >= max_pivots) {
            result = -1;
            goto done;
        }
        pivots++;
        a_in = best;
        i = tail[a_in];
        j = head[a_in];
        uu = i;
        vv = j;
        while (depth[uu] > depth[vv]) uu = parent[uu];
        while (depth[vv] > depth[uu]) vv = parent[vv];
        while (uu != vv) {
            uu = parent[uu];
            vv = parent[vv];
        }
        apex = uu;
        delta = (i64)1 << 62;
        leave_node = -1;
        leave_side = 0;
        /* flow goes i -> j, then up from j to the apex and down to i: on i's side the arcs pointing
         * up lose flow, on j's side those pointing down; the last blocking arc from the apex
         * leaves (on j's side the one nearest the apex, else on i's side the one nearest i) */
        for (w = i; w != apex; w = parent[w])
            if (up[w] && flow[pred[w]] < delta) {
                delta = flow[pred[w]];
                leave_node = w;
                leave_side = 1;
            }
        for (w = j; w != apex; w = parent[w])
            if (!up[w] && flow[pred[w]] <= delta) {
                delta = flow[pred[w]];
                leave_node = w;
                leave_side = 2;
            }
        if (leave_node == -1) {
            result = -2;
            goto done;
        }
        if (delta > 0) {
            flow[a_in] += delta;
            for (w = i; w != apex; w = parent[w]) flow[pred[w]] += up[w] ? -delta : delta;
            for (w = j; w != apex; w = parent[w]) flow[pred[w]] += up[w] ? delta : -delta;
        }
        a_out = pred[leave_node];
        in_tree[a_out] = 0;
        in_tree[a_in] = 1;
        if (leave_side == 1) {
            u_in = i;
            new_par = j;
            u_up = 1;
            for (k = 0; k < LEVELS; k++) shift[k] = -best_r[k];
        } else {
            u_in = j;
            new_par = i;
            u_up = 0;
            for (k = 0; k < LEVELS; k++) shift[k] = best_r[k];
        }
        /* re-root the cut subtree at u_in, hung from new_par by the entering arc */
        w = u_in;
        prev_node = new_par;
        prev_arc = a_in;
        prev_up = u_up;
        for (;;) {
            i64 p = parent[w], old_arc = pred[w];
            u8 old_up = up[w];
            detach(w, parent, first_child, next_sib, prev_sib);
            attach(w, prev_node, parent, first_child, next_sib, prev_sib);
            pred[w] = prev_arc;
            up[w] = prev_up;
            if (w == leave_node) break;
            prev_node = w;
            prev_arc = old_arc;
            prev_up = !old_up;
            w = p;
        }
        sp = 1;
        stack[0] = u_in;
        depth[u_in] = depth[new_par] + 1;
        while (sp > 0) {
            i64 v2 = stack[--sp], c;
            for (k = 0; k < LEVELS; k++) y[v2 * LEVELS + k] += shift[k];
            for (c = first_child[v2]; c != -1; c = next_sib[c]) {
                depth[c] = depth[v2] + 1;
                stack[sp++] = c;
            }
        }
    }
done:
    *start = pos;
    free(order);
    free(stack);
    free(acc);
    return result;
}
