{
  # condense's native TF.js backend. native/build.mjs passes --condense_blas=openblas when
  # OpenBLAS (cblas.h + libopenblas) is usable; otherwise the portable blocked GEMM is compiled.
  "variables": {"condense_blas%": "portable"},
  "targets": [
    {
      "target_name": "condense_native",
      "sources": [
        "native/condense_native.c",
        "native/gemm.c",
        "native/elementwise.c",
        "native/conv.c",
        "native/depthwise.c",
        "native/optim.c"
      ],
      "cflags_c": ["-O3", "-std=gnu11", "-fno-math-errno", "-ffp-contract=off", "-Wall", "-Wno-unused-parameter"],
      "conditions": [
        ["condense_blas=='openblas'", {
          "defines": ["CONDENSE_OPENBLAS"],
          "libraries": ["-lopenblas"]
        }, {
          "defines": ["CONDENSE_PORTABLE_GEMM"]
        }]
      ]
    }
  ]
}
