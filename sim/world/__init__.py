"""World inputs: destination countries, China's extradition treaties and China's GDP path."""
