"""Engine builds used by the scenarios (commits and build dates of the releases)."""

from .common import T
from .model import EngineBuild

E17062EE15 = EngineBuild(
    version="17.06.2-ee-15", family="17.06", api="1.30", min_api="1.12", commit="64ddfa6", go="go1.8.7",
    build_time_ns=T("2018-07-09T23:38:38"),
)

E18091 = EngineBuild(
    version="18.09.1", family="18.09", api="1.39", min_api="1.12", commit="4c52b90", go="go1.10.6",
    build_time_ns=T("2019-01-09T19:02:44"), platform="Docker Engine - Community",
)

E201024 = EngineBuild(
    version="20.10.24", family="20.10", api="1.41", min_api="1.12", commit="5d6db84", go="go1.19.7",
    build_time_ns=T("2023-04-04T18:18:26"), platform="Docker Engine - Community",
    containerd="1.6.24", containerd_commit="61f9fd88f79f081d64d6fa3bb1a0dc71ec870523",
    runc="1.1.9", runc_commit="v1.1.9-0-gccaecfc", init_commit="de40ad0",
)
