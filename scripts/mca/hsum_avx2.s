# The horizontal 3-cell sums of one row (horizontal_sums in src/life/cpu/mod.rs), AVX2: 8 words
# per iteration, computed once per row and used by three output rows.
.intel_syntax noprefix
.LBB1:
vmovdqu ymm0, ymmword ptr [rdi + rax]
vmovdqu ymm1, ymmword ptr [rdi + rax - 4]
vmovdqu ymm2, ymmword ptr [rdi + rax + 4]
vpslld ymm3, ymm0, 1
vpsrld ymm4, ymm1, 31
vpor ymm3, ymm3, ymm4
vpsrld ymm5, ymm0, 1
vpslld ymm6, ymm2, 31
vpor ymm5, ymm5, ymm6
vpxor ymm7, ymm3, ymm0
vpxor ymm8, ymm7, ymm5
vpand ymm9, ymm3, ymm0
vpand ymm10, ymm7, ymm5
vpor ymm9, ymm9, ymm10
vmovdqu ymmword ptr [rsi + rax], ymm8
vmovdqu ymmword ptr [rdx + rax], ymm9
add rax, 32
cmp rax, rbx
jne .LBB1
