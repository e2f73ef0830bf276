-- wrk script: GET the URL given on the command line, as an anonymous visitor.
dofile(os.getenv("WRK_REPORT_LUA"))
