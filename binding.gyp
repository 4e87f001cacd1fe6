{
  "variables": {
    "keep_symbols": "<!(echo ${TSBCC_KEEP_SYMBOLS:-0})",
    "llvm_components": "bpfcodegen bpfasmparser bpfdesc bpfinfo core irreader option passes target mc support bitwriter frontendopenmp windowsdriver frontenddriver frontendhlsl",
    "clang_libs": "-lclangFrontendTool -lclangCodeGen -lclangFrontend -lclangDriver -lclangSerialization -lclangParse -lclangSema -lclangAnalysis -lclangEdit -lclangRewrite -lclangASTMatchers -lclangAST -lclangLex -lclangBasic -lclangSupport -lclangAPINotes"
  },
  "targets": [
    {
      "target_name": "tsbcc",
      "sources": ["<!@(find native -name '*.cc' | sort)"],
      "actions": [
        {
          "action_name": "text_order",
          "inputs": ["<(module_root_dir)/native/compiler/text-order.txt.gz"],
          "outputs": ["<(module_root_dir)/build/text-order.txt"],
          "action": ["sh", "-c", "gzip -dc <(module_root_dir)/native/compiler/text-order.txt.gz > <(module_root_dir)/build/text-order.txt"]
        },
        {
          "action_name": "bpf_ama",
          "inputs": ["<(module_root_dir)/scripts/bpf-ama-archive.sh", "/usr/lib/llvm-19/lib/libLLVMBPFCodeGen.a"],
          "outputs": ["<(module_root_dir)/build/libtsbcc_bpf_ama.a"],
          "action": ["bash", "<(module_root_dir)/scripts/bpf-ama-archive.sh", "/usr/lib/llvm-19/lib", "<(module_root_dir)/build/libtsbcc_bpf_ama.a"]
        }
      ],
      "ldflags": [
        "-B/usr/lib/llvm-19/bin",
        "-fuse-ld=lld",
        "-Wl,-z,pack-relative-relocs",
        "-Wl,--symbol-ordering-file=<(module_root_dir)/build/text-order.txt",
        "-Wl,--no-warn-symbol-ordering"
      ],
      "conditions": [["keep_symbols==0", { "ldflags": ["-Wl,--strip-all"] }]],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "/usr/lib/llvm-19/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE", "__STDC_CONSTANT_MACROS", "__STDC_FORMAT_MACROS", "__STDC_LIMIT_MACROS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fno-rtti", "-O2", "-ffunction-sections", "-fdata-sections", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L/usr/lib/llvm-19/lib",
        "<(module_root_dir)/build/libtsbcc_bpf_ama.a",
        "-Wl,--start-group",
        "<@(clang_libs)",
        "<!@(/usr/lib/llvm-19/bin/llvm-config --link-static --libs <(llvm_components))",
        "-Wl,--end-group",
        "-Wl,--gc-sections",
        "-Wl,--exclude-libs,ALL",
        "-lzstd",
        "-lrt",
        "-ldl",
        "-lm",
        "-lbpf",
        "-lelf",
        "-lz"
      ]
    }
  ]
}
