"""Fashion-MNIST Studio core: plain Python + TensorFlow/Keras, no Streamlit."""
