"""World inputs: destination countries, China's extradition treaties and China's GDP path
(``countries``), and the one parser of ISO dates into months (``dates``)."""
