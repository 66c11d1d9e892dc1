{
  # condense's native TF.js backend. native/build.mjs passes --condense_blas=openblas when
  # OpenBLAS (cblas.h + libopenblas) is usable; otherwise the portable blocked GEMM is compiled.
  # build.mjs also writes build/condense_build_flags.h (the numeric-affecting flags the generated
  # Makefile and $CFLAGS compile with), which buildInfo() reports.
  "variables": {"condense_blas%": "portable"},
  "targets": [
    {
      "target_name": "condense_native",
      "sources": [
        "native/condense_native.c",
        "native/bind_shape.c",
        "native/bind_conv.c",
        "native/bind_rows.c",
        "native/alloc.c",
        "native/gemm.c",
        "native/gemm_parallel.c",
        "native/threads.c",
        "native/gemm_portable.c",
        "native/gemm_x86.c",
        "native/elementwise.c",
        "native/batchnorm.c",
        "native/bn_train.c",
        "native/layernorm.c",
        "native/reduce.c",
        "native/unary.c",
        "native/conv.c",
        "native/im2col.c",
        "native/conv_direct.c",
        "native/pooling.c",
        "native/pool_fast.c",
        "native/depthwise.c",
        "native/optim.c"
      ],
      "include_dirs": ["build"],
      "cflags_c": ["-O3", "-pthread", "-std=gnu11", "-fno-math-errno", "-ffp-contract=off", "-Wall", "-Wno-unused-parameter"],
      "conditions": [
        ["condense_blas=='openblas'", {
          "defines": ["CONDENSE_OPENBLAS"],
          "libraries": ["-lopenblas", "-lpthread"]
        }, {
          "defines": ["CONDENSE_PORTABLE_GEMM"],
          "libraries": ["-lpthread"]
        }]
      ]
    }
  ]
}
