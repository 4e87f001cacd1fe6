// error: 2:19: inner map nope of outer must be declared before it
BPF_ARRAY_OF_MAPS(outer, "nope", 4);
