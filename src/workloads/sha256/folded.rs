//! What the GPU kernel (shaders/sha256.wgsl) computes per hash once the driver has folded its
//! pipeline constants: the operation count its rows are held against their roof with.
//!
//! The message words, the nonce's position and the midstate are pipeline constants (issue 20),
//! so the driver evaluates every operation whose inputs are all constants (most of the schedule
//! for a short prefix, Ch and Maj of the constant state words in the first rounds) and drops
//! what no output uses. How much that removes depends on the prefix, so the count is made by
//! running the kernel's own steps here on values that are either known (a constant) or not (a
//! function of the nonce), the way a compiler's constant folding does:
//!
//! - an operation with only known inputs is folded (free); `x | 0`, `x ^ 0`, `x & !0`, `x & 0`,
//!   `x ^ x` and the like are folded too;
//! - constants added to an unknown value one after another are summed into one (a compiler
//!   reassociates them): the add is paid once, where the sum is used;
//! - equal operations on equal inputs are computed once, and operations no output needs are
//!   dropped.
//!
//! Each remaining operation is one instruction of the integer ceilings, a rotation one logic
//! operation (one funnel shift on a GPU; a CPU without a vector rotate needs three), Ch as
//! `g ^ (e & (f ^ g))` (3) and Maj as `(a & (b | c)) | (b & c)` (4), as the CPU count does. The
//! nonce's arithmetic, byte swaps (one instruction each) and the digest's test count too; the
//! bounds check, atomics and branch do not. A compiler that finds more (Maj reused across
//! rounds) would do fewer operations than this count; one that finds less does more, which
//! only lowers the row's fraction of its roof, never puts it above.

use super::{gpu::midstate_rounds, padded_block, H0, K};
use std::collections::HashMap;

/// A value of the kernel: known at pipeline creation, or an operation's result (`offset` to be
/// added, still unpaid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Value {
    Known(u32),
    Node { id: usize, offset: u32 },
}

/// An operation on unknown values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    Add,
    And,
    Or,
    Xor,
    Rotr(u32),
    Shr(u32),
    Shl(u32),
    /// Byte swap, count of leading zeros and the like: one logic instruction of one input.
    Unary(u8),
    /// An unknown input (the invocation's index, a uniform).
    Input(u8),
}

impl Op {
    fn is_add(self) -> bool {
        self == Op::Add
    }
}

/// The kernel's operations as a graph: equal operations are one node.
#[derive(Default)]
struct Graph {
    nodes: Vec<(Op, Vec<usize>)>,
    ids: HashMap<(Op, Vec<usize>), usize>,
}

impl Graph {
    fn node(&mut self, op: Op, args: Vec<usize>) -> Value {
        let key = (op, args);
        let next = self.nodes.len();
        let id = *self.ids.entry(key.clone()).or_insert(next);
        if id == next {
            self.nodes.push(key);
        }
        Value::Node { id, offset: 0 }
    }

    fn input(&mut self, which: u8) -> Value {
        self.node(Op::Input(which), Vec::new())
    }

    /// The node holding `v` with its offset paid (an add where there is one). Constant
    /// operands are written into a node's arguments as `usize::MAX - constant`, never a node's
    /// index.
    fn paid(&mut self, v: Value) -> Option<usize> {
        match v {
            Value::Known(_) => None,
            Value::Node { id, offset: 0 } => Some(id),
            Value::Node { id, offset } => {
                Some(self.id(Op::Add, vec![id, usize::MAX - offset as usize]))
            }
        }
    }

    /// The index of the node `op(args)`.
    fn id(&mut self, op: Op, args: Vec<usize>) -> usize {
        match self.node(op, args) {
            Value::Node { id, .. } => id,
            Value::Known(_) => unreachable!("a node is never known"),
        }
    }

    fn add(&mut self, x: Value, y: Value) -> Value {
        match (x, y) {
            (Value::Known(a), Value::Known(b)) => Value::Known(a.wrapping_add(b)),
            (Value::Node { id, offset }, Value::Known(k))
            | (Value::Known(k), Value::Node { id, offset }) => Value::Node {
                id,
                offset: offset.wrapping_add(k),
            },
            (x, y) => {
                let (a, b) = (
                    self.paid(x).expect("unknown"),
                    self.paid(y).expect("unknown"),
                );
                self.node(Op::Add, vec![a.min(b), a.max(b)])
            }
        }
    }

    fn logic(&mut self, op: Op, x: Value, y: Value) -> Value {
        let eval = |a: u32, b: u32| match op {
            Op::And => a & b,
            Op::Or => a | b,
            _ => a ^ b,
        };
        match (x, y) {
            (Value::Known(a), Value::Known(b)) => Value::Known(eval(a, b)),
            (Value::Known(k), v) | (v, Value::Known(k)) => match (op, k) {
                (Op::And, 0) => Value::Known(0),
                (Op::Or, u32::MAX) => Value::Known(u32::MAX),
                (Op::And, u32::MAX) | (Op::Or, 0) | (Op::Xor, 0) => v,
                _ => {
                    let id = self.paid(v).expect("unknown");
                    self.node(op, vec![id, usize::MAX - k as usize])
                }
            },
            (x, y) if x == y => match op {
                Op::Xor => Value::Known(0),
                _ => x,
            },
            (x, y) => {
                let (a, b) = (
                    self.paid(x).expect("unknown"),
                    self.paid(y).expect("unknown"),
                );
                self.node(op, vec![a.min(b), a.max(b)])
            }
        }
    }

    fn unary(&mut self, op: Op, x: Value, eval: impl Fn(u32) -> u32) -> Value {
        match x {
            Value::Known(a) => Value::Known(eval(a)),
            v => {
                let id = self.paid(v).expect("unknown");
                self.node(op, vec![id])
            }
        }
    }

    fn rotr(&mut self, x: Value, n: u32) -> Value {
        self.unary(Op::Rotr(n), x, |a| a.rotate_right(n))
    }

    fn shr(&mut self, x: Value, n: u32) -> Value {
        if n == 0 {
            return x;
        }
        self.unary(Op::Shr(n), x, |a| a >> n)
    }

    fn shl(&mut self, x: Value, n: u32) -> Value {
        if n == 0 {
            return x;
        }
        self.unary(Op::Shl(n), x, |a| a << n)
    }

    fn xor3(&mut self, x: Value, y: Value, z: Value) -> Value {
        let xy = self.logic(Op::Xor, x, y);
        self.logic(Op::Xor, xy, z)
    }

    /// (adds, logic operations) of the nodes `outputs` need, each paid.
    fn count(&mut self, outputs: &[Value]) -> (u64, u64) {
        let roots: Vec<usize> = outputs.iter().filter_map(|&v| self.paid(v)).collect();
        let mut live = vec![false; self.nodes.len()];
        let mut stack = roots;
        while let Some(id) = stack.pop() {
            // Constant operands are encoded as indices from usize::MAX down: not nodes.
            if id >= self.nodes.len() || live[id] {
                continue;
            }
            live[id] = true;
            stack.extend(self.nodes[id].1.iter().copied());
        }
        let (mut adds, mut logic) = (0, 0);
        for (id, (op, _)) in self.nodes.iter().enumerate() {
            match op {
                _ if !live[id] => {}
                Op::Input(_) => {}
                op if op.is_add() => adds += 1,
                _ => logic += 1,
            }
        }
        (adds, logic)
    }
}

/// (int32 adds, int32 logic operations) per hash of sha256.wgsl for messages `prefix ‖ nonce`,
/// after the driver's folding (module docs).
pub fn gpu_ops_per_hash(prefix: &[u8]) -> (u64, u64) {
    let block = padded_block(prefix);
    let fixed: [u32; 16] = std::array::from_fn(|i| {
        u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().expect("4 bytes"))
    });
    let at = prefix.len() as u32;
    let mid_rounds = midstate_rounds(prefix.len());
    let mut g = Graph::default();
    let k = Value::Known;

    // nonce = base + index (carry into the high word), byte-swapped: as `main` writes it.
    let index = g.input(0);
    let (base_lo, base_hi) = (g.input(1), g.input(2));
    let lo = g.add(base_lo, index);
    let carry = g.unary(Op::Unary(0), lo, |x| x);
    let hi = g.add(base_hi, carry);
    let lo_be = g.unary(Op::Unary(1), lo, u32::swap_bytes);
    let hi_be = g.unary(Op::Unary(1), hi, u32::swap_bytes);
    // `word`: the nonce's bytes shifted into words first..first+2.
    let (first, shift) = ((at / 4) as usize, at % 4);
    let s = 8 * shift;
    let mut n = [g.shr(lo_be, s), g.shr(hi_be, s), k(0)];
    if shift != 0 {
        let carried = g.shl(lo_be, 32 - s);
        n[1] = g.logic(Op::Or, n[1], carried);
        n[2] = g.shl(hi_be, 32 - s);
    }
    let mut w: Vec<Value> = (0..16usize)
        .map(|i| match i.checked_sub(first) {
            Some(j) if j < 3 => g.logic(Op::Or, k(fixed[i]), n[j]),
            _ => k(fixed[i]),
        })
        .collect();
    for t in 16..64 {
        let (w2, w7, w15, w16) = (w[t - 2], w[t - 7], w[t - 15], w[t - 16]);
        let (r7, r18, s3) = (g.rotr(w15, 7), g.rotr(w15, 18), g.shr(w15, 3));
        let s0 = g.xor3(r7, r18, s3);
        let (r17, r19, s10) = (g.rotr(w2, 17), g.rotr(w2, 19), g.shr(w2, 10));
        let s1 = g.xor3(r17, r19, s10);
        let sum = g.add(s1, w7);
        let sum = g.add(sum, s0);
        w.push(g.add(sum, w16));
    }

    // The rounds from the midstate. Its values are the host's; any known values fold alike,
    // so the midstate of the all-zero nonce stands for every nonce's.
    let mut st: [Value; 8] = super::gpu::midstate(&fixed, mid_rounds).map(k);
    for t in mid_rounds..64 {
        let [a, b, c, d, e, f, gg, h] = st;
        let (r6, r11, r25) = (g.rotr(e, 6), g.rotr(e, 11), g.rotr(e, 25));
        let big_s1 = g.xor3(r6, r11, r25);
        // Ch(e, f, g) = g ^ (e & (f ^ g)).
        let fg = g.logic(Op::Xor, f, gg);
        let efg = g.logic(Op::And, e, fg);
        let ch = g.logic(Op::Xor, gg, efg);
        let kw = g.add(k(K[t]), w[t]);
        let t1 = g.add(h, big_s1);
        let t1 = g.add(t1, ch);
        let t1 = g.add(t1, kw);
        let (r2, r13, r22) = (g.rotr(a, 2), g.rotr(a, 13), g.rotr(a, 22));
        let big_s0 = g.xor3(r2, r13, r22);
        // Maj(a, b, c) = (a & (b | c)) | (b & c).
        let bc_or = g.logic(Op::Or, b, c);
        let abc = g.logic(Op::And, a, bc_or);
        let bc_and = g.logic(Op::And, b, c);
        let maj = g.logic(Op::Or, abc, bc_and);
        let t2 = g.add(big_s0, maj);
        st = [g.add(t1, t2), a, b, c, g.add(d, t1), e, f, gg];
    }
    // The digest's first two words and their leading zeros.
    let d0 = g.add(k(H0[0]), st[0]);
    let d1 = g.add(k(H0[1]), st[1]);
    let z0 = g.unary(Op::Unary(2), d0, u32::leading_zeros);
    let z1 = g.unary(Op::Unary(2), d1, u32::leading_zeros);
    g.count(&[z0, z1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_prefix_folds_little() {
        // The default prefix leaves words 1 to 3 to the nonce, and they reach every schedule
        // word: few logic operations fold, so the count is close to the portable compression's
        // (600 adds, 1568 logic), less the midstate's round, round 63's e and six words of the
        // final state that no output uses, plus the nonce's own arithmetic; the early schedule
        // words' sums of fixed words fold into one constant each.
        let (adds, logic) = gpu_ops_per_hash(b"speedup");
        assert!((500..600).contains(&adds), "{adds} adds");
        assert!((1450..1568).contains(&logic), "{logic} logic");
    }

    #[test]
    fn a_longer_prefix_leaves_less_to_compute() {
        let short = gpu_ops_per_hash(b"speedup");
        let long = gpu_ops_per_hash(&[b'x'; super::super::MAX_PREFIX]);
        assert!(
            long.0 < short.0 && long.1 < short.1,
            "{short:?} vs {long:?}"
        );
        // The rounds after the midstate are never folded away: at least 53 rounds' worth of
        // work remains whatever the prefix (Σ0, Σ1: 10 logic, t1 + t2 and d + t1: 2 adds).
        assert!(long.1 >= 53 * 10 && long.0 >= 53 * 2, "{long:?}");
    }
}
