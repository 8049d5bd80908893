"""The netmon collector: ingests agent reports, polls agentless devices, serves Prometheus."""
