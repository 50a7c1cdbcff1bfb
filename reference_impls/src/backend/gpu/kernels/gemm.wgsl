// Batched general matrix product c ← α·op(a)·op(b) + β·c, tiled in workgroup memory with 4×4
// register blocks: a 16×16 workgroup computes one 64×64 tile of c, walking K in steps of 16.
//
// Parameters: u = [M, N, K, lda, ldb, ldc, trans_a, trans_b, stride_a, stride_b, stride_c,
// off_a, off_b, off_c]; f = [α, β]. op(a) is M×K, op(b) is K×N, c is M×N; lda/ldb/ldc are the
// row lengths as stored; batch z of the launch reads a at off_a + z·stride_a (b and c alike).
// With β = 0, c is not read (it may hold anything, NaN included).

@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> c: array<T>;

const TILE: u32 = 64u;
const DEPTH: u32 = 16u;

var<workgroup> tile_a: array<T, 1024>; // [64 rows of op(a)][16 k]
var<workgroup> tile_b: array<T, 1024>; // [16 k][64 columns of op(b)]

fn load_a(base: u32, m: u32, k: u32) -> T {
    if (m >= pu(0u) || k >= pu(2u)) {
        return T(0.0);
    }
    if (pu(6u) != 0u) {
        return a[base + k * pu(3u) + m];
    }
    return a[base + m * pu(3u) + k];
}

fn load_b(base: u32, k: u32, n: u32) -> T {
    if (k >= pu(2u) || n >= pu(1u)) {
        return T(0.0);
    }
    if (pu(7u) != 0u) {
        return b[base + n * pu(4u) + k];
    }
    return b[base + k * pu(4u) + n];
}

@compute @workgroup_size(16, 16, 1)
fn gemm(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let depth = pu(2u);
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let base_a = pu(11u) + wid.z * pu(8u);
    let base_b = pu(12u) + wid.z * pu(9u);
    let tid = lid.y * 16u + lid.x;

    var acc: array<T, 16>;
    for (var k0 = 0u; k0 < depth; k0 += DEPTH) {
        for (var l = 0u; l < 4u; l++) {
            let e = tid + l * 256u;
            tile_a[e] = load_a(base_a, row0 + e / DEPTH, k0 + e % DEPTH);
            tile_b[e] = load_b(base_b, k0 + e / TILE, col0 + e % TILE);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < DEPTH; kk++) {
            var av: array<T, 4>;
            var bv: array<T, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = tile_a[(lid.y + 16u * i) * DEPTH + kk];
                bv[i] = tile_b[kk * TILE + lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] += av[i] * bv[j];
                }
            }
        }
        workgroupBarrier();
    }

    let alpha = pf(0u);
    let beta = pf(1u);
    let base_c = pu(13u) + wid.z * pu(10u);
    for (var i = 0u; i < 4u; i++) {
        let m = row0 + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let n = col0 + lid.x + 16u * j;
            if (m < pu(0u) && n < pu(1u)) {
                let idx = base_c + m * pu(5u) + n;
                var value = alpha * acc[i * 4u + j];
                if (beta != 0.0) {
                    value += beta * c[idx];
                }
                c[idx] = value;
            }
        }
    }
}

// c ← α·op(a) + β·c for each matrix of a batch (copy a block, accumulate, transpose), one
// invocation per element of c. u as gemm's, with op(a) M×N (K unused); f = [α, β].
@compute @workgroup_size(256, 1, 1)
fn geam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * 256u;
    let M = pu(0u);
    let N = pu(1u);
    let per = M * N;
    if (per == 0u || e >= per * pu(14u)) {
        return;
    }
    let z = e / per;
    let m = (e % per) / N;
    let n = e % N;
    let base_a = pu(11u) + z * pu(8u);
    var v: T;
    if (pu(6u) != 0u) {
        v = a[base_a + n * pu(3u) + m];
    } else {
        v = a[base_a + m * pu(3u) + n];
    }
    let idx = pu(13u) + z * pu(10u) + m * pu(5u) + n;
    var value = pf(0u) * v;
    if (pf(1u) != 0.0) {
        value += pf(1u) * c[idx];
    }
    c[idx] = value;
}
