{
  "targets": [
    {
      "target_name": "scm_rights",
      "sources": ["scm_rights.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
