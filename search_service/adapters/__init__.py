"""Adapters: the AWS (and local) side of the ports in `search_service.domain.ports`."""
