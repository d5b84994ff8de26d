"""Graph access for the social API: named openCypher queries (``queries``), the Neptune
executor (``client``), the repository over it (``repository``) and the domain logic that
the graph_api resolvers call (``service``)."""
