# The B3/S23 combining loop of src/life/cpu/mod.rs (combine_row) as the AVX2 build compiles it:
# 8 words (256 cells) of one output row per iteration. Analysed with
# llvm-mca -mcpu=znver3 scripts/mca/combine_avx2.s (see docs/performance.md, "The AVX2 bound").
.intel_syntax noprefix
.LBB0:
vmovdqu ymm0, ymmword ptr [rdi + rax]
vmovdqu ymm1, ymmword ptr [rsi + rax]
vmovdqu ymm2, ymmword ptr [rdx + rax]
vmovdqu ymm3, ymmword ptr [rcx + rax]
vmovdqu ymm4, ymmword ptr [r8 + rax]
vmovdqu ymm5, ymmword ptr [r9 + rax]
vmovdqu ymm6, ymmword ptr [r10 + rax]
vpxor ymm7, ymm0, ymm1
vpxor ymm8, ymm7, ymm2
vpand ymm9, ymm0, ymm1
vpand ymm10, ymm7, ymm2
vpor ymm9, ymm9, ymm10
vpxor ymm11, ymm3, ymm4
vpxor ymm12, ymm11, ymm5
vpand ymm13, ymm3, ymm4
vpand ymm14, ymm11, ymm5
vpor ymm13, ymm13, ymm14
vpxor ymm15, ymm12, ymm9
vpand ymm12, ymm12, ymm9
vpxor ymm0, ymm13, ymm12
vpand ymm1, ymm13, ymm12
vpand ymm2, ymm8, ymm15
vpandn ymm2, ymm0, ymm2
vpor ymm3, ymm8, ymm15
vpandn ymm3, ymm3, ymm0
vpand ymm3, ymm3, ymm6
vpor ymm2, ymm2, ymm3
vpandn ymm2, ymm1, ymm2
vmovdqu ymmword ptr [r11 + rax], ymm2
add rax, 32
cmp rax, rbx
jne .LBB0
